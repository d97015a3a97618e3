/**
 * Replica operations a failed step left recorded (their intent in the state file).
 *
 * A replica delete that failed half-way (its head gone, a snapshot's delete refused) leaves its
 * intent recorded. A create of the same name must not make a new replica beside the old one's
 * leftovers (it would list the old snapshots as its own, and the recorded intent would delete the
 * new replica at the next start): it finishes the delete first, or refuses with nothing created.
 * The engine monitor finishes such a delete by itself once it can, with a growing wait.
 * The fault: a proxy sends the delete of snapshot `s1`'s lvol to a method spdk_tgt does not have.
 *
 * A revert of an exposed replica that failed after its clone was made (the rename refused) leaves
 * the replica without its head (the old one deleted, the clone under its work name) and its export
 * without a namespace: the monitor finishes it, and
 * the export serves the reverted data at the same namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headLvolName, snapshotLvolName } from '../../../src/domain/node/naming.js';
import { ConductorError } from '../../../src/errors.js';
import { MIB } from '../../engine/helpers/cluster.js';
import { capturedLog } from '../../helpers/captured-log.js';
import { until } from '../../helpers/until.js';
import { type NodeFixture, startNode } from '../helpers/node-fixture.js';

let divert = false;
let divertRename = false;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:8d2a6d6e-2222-4c5e-9c66-5a1b2c3d4e5f';
let f: NodeFixture;
const { log, lines } = capturedLog('info');

beforeAll(async () => {
  f = await startNode({
    logger: log,
    env: { CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '200' },
    rewriteCalls: (request) => {
      const params = request.params as { name?: unknown } | undefined;
      if (divert && request.method === 'bdev_lvol_delete' && String(params?.name).includes('s.s1.')) return { ...request, method: 'bdev_lvol_delete_diverted' };
      if (divertRename && request.method === 'bdev_lvol_rename') return { ...request, method: 'bdev_lvol_rename_diverted' };
      return request;
    },
  });
  await f.node.diskCreate({ name: 'd', path: f.diskFile('d', 256) });
}, 60_000);

afterAll(async () => {
  await f?.close();
});

async function halfDeleted(name: string): Promise<void> {
  await f.node.replicaCreate(name, 'd', 8 * MIB);
  await f.node.snapshotCreate({ replicaName: name, name: 's1' });
  divert = true;
  await expect(f.node.replicaDelete(name)).rejects.toThrow();
}

describe('a replica delete that did not finish', () => {
  it('a create of the name refuses while the delete cannot finish, then finishes it first: a fresh replica that survives a restart', async () => {
    // Monitor passes would finish it as soon as the fault goes: the test holds the fault until the create's turn.
    await halfDeleted('x');
    const refusal = await f.node.replicaCreate('x', 'd', 8 * MIB).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(ConductorError);
    expect((refusal as ConductorError).code).toBe('REPLICA_DELETE_UNFINISHED');
    expect((refusal as ConductorError).message).toContain('nothing was created');
    await expect(f.node.replicaGet('x')).rejects.toMatchObject({ code: 'REPLICA_NOT_FOUND' });

    divert = false;
    const fresh = await f.node.replicaCreate('x', 'd', 16 * MIB);
    expect(fresh.sizeBytes).toBe(16 * MIB);
    expect(await f.node.snapshotList('x')).toEqual([]);
    await f.restart();
    expect((await f.node.replicaGet('x')).sizeBytes).toBe(16 * MIB);
    expect(await f.node.snapshotList('x')).toEqual([]);
  }, 90_000);

  it('is finished by the engine monitor once it can be, after a failed try logged with its wait', async () => {
    await halfDeleted('y');
    const tries = await until(
      'a failed try of the delete by the monitor',
      () => {
        const found = lines.filter((l) => String(l.msg).startsWith('unfinished replica delete not completed') && l.replica === 'y');
        return found.length >= 1 ? found : undefined;
      },
      30_000,
    );
    expect(tries[0]!.retryInMs).toBe(2_000);
    divert = false;
    await until('the delete finished by the monitor', () => lines.some((l) => l.msg === 'an unfinished replica delete finished by the engine monitor' && l.replica === 'y') || undefined, 30_000);
    const lvols = await f.client.callUnchecked<Array<{ name: string }>>('bdev_lvol_get_lvols', {});
    const left = lvols.map((l) => l.name).filter((n) => n === headLvolName('y') || n === snapshotLvolName('y', 's1'));
    expect(left).toEqual([]);
  }, 90_000);

  it('a revert of an exposed replica cut after its clone is finished by the monitor: the head back with the snapshot data, the namespace on it', async () => {
    const write = (text: string) => {
      const data = Buffer.alloc(4096);
      data.write(text);
      return f.client.callUnchecked('sim_bdev_write', { name: `lvs.d/${headLvolName('v')}`, offset_blocks: 0, data_base64: data.toString('base64') });
    };
    const first = async (): Promise<string> => {
      const read = await f.client.callUnchecked<{ data_base64: string }>('sim_bdev_read', { name: `lvs.d/${headLvolName('v')}`, offset_blocks: 0, num_blocks: 1 });
      return Buffer.from(read.data_base64, 'base64').toString('utf8', 0, 3);
    };
    const exposed = await f.node.replicaCreate('v', 'd', 8 * MIB, undefined, [HOST]);
    await write('one');
    await f.node.snapshotCreate({ replicaName: 'v', name: 's1' });
    await write('two');
    divertRename = true;
    await expect(f.node.snapshotRevert('v', 's1')).rejects.toThrow();
    const namespaces = async (): Promise<string[]> => {
      const [subsystem] = await f.client.callUnchecked<Array<{ namespaces: Array<{ bdev_name: string }> }>>('nvmf_get_subsystems', { nqn: exposed.export!.nqn });
      return subsystem!.namespaces.map((n) => n.bdev_name);
    };
    // Cut there, the export serves nothing: the old head is gone, the clone not yet in its place.
    expect(await namespaces()).toEqual([]);
    await until(
      'a failed try of the revert by the monitor',
      () => lines.some((l) => String(l.msg).startsWith('unfinished replica revert not completed') && l.replica === 'v' && l.retryInMs === 2_000) || undefined,
      30_000,
    );
    divertRename = false;
    await until('the revert finished by the monitor', () => lines.some((l) => l.msg === 'an unfinished replica revert finished by the engine monitor' && l.replica === 'v') || undefined, 30_000);
    expect(await first()).toBe('one');
    const back = await f.node.replicaGet('v');
    expect(back.export?.port).toBe(exposed.export?.port);
    // spdk_tgt names an lvol's namespace by the lvol's bdev name, its uuid.
    const [head] = await f.client.callUnchecked<Array<{ name: string }>>('bdev_get_bdevs', { name: `lvs.d/${headLvolName('v')}` });
    expect(await namespaces()).toEqual([head!.name]);
  }, 90_000);
});
