/**
 * A backup's stage and a snapshot-preserving rebuild's copy of the same snapshot on the source
 * node: spdk_tgt runs one copy of a snapshot at a time (a second ends EBUSY:
 * test/real/shallow-copy-busy.test.ts; the simulator answers the same), so whichever comes second
 * waits for the first (copy-holds.ts), saying so with that copy's progress, and both finish. Both
 * orders; the first copy is held by the simulator (sim_shallow_copy_rate pause_after) until the
 * second is seen waiting. The rebuilt chain and the restored backup match the source's snapshot,
 * and nothing is left on the source node: no copy controller, no staging bdev, no copy record.
 * Node 0 holds the source replica, node 1 the new one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineReplicaSpec } from '../../src/domain/model.js';
import type { JobInfo } from '../../src/domain/backup/jobs-model.js';
import { checksum, Host, MIB, RebuildCluster, until } from './helpers/rebuild-cluster.js';

const SIZE = 32 * MIB;
const IO_TIMEOUT_MS = 5000;
let cluster: RebuildCluster;
let host: Host;
let members: EngineReplicaSpec[];
let generation = 0;

const source = () => cluster.nodes[0]!;
const target = () => cluster.nodes[1]!;
const engineNode = () => cluster.engineNode;

beforeAll(async () => {
  cluster = await RebuildCluster.start({ replicaNodes: 2, sizeBytes: SIZE, api: true, diskMib: 512 });
  members = await Promise.all([0, 1].map((i) => cluster.replica(i, `b-r${i}`)));
  const engine = await cluster.engine('b', members);
  host = await Host.attach(engine, { ctrlLossTmoSec: 6, reconnectDelaySec: 1 });
  for (let i = 0; i < 40; i++) await host.writeOne(IO_TIMEOUT_MS);
  await Promise.all(members.map((m, i) => cluster.nodes[i]!.node.snapshotCreate({ replicaName: m.name, name: 's1' })));
  for (let i = 0; i < 10; i++) await host.writeOne(IO_TIMEOUT_MS);
  await source().node.backups.targetSet({ kind: 'fs', path: path.join(source().dir, 'target') });
}, 90_000);

afterAll(async () => {
  await source()
    ?.client.callUnchecked('sim_shallow_copy_rate', { bytes_per_ms: 0 })
    .catch(() => undefined);
  await host?.close();
  await cluster?.close();
});

const pause = (on: boolean) => source().client.callUnchecked('sim_shallow_copy_rate', on ? { bytes_per_ms: 0, pause_after: 2 } : { bytes_per_ms: 0 });

/** A fresh replica on node 1 in place of the member there, not yet added. */
async function freshOnNode1(): Promise<EngineReplicaSpec> {
  const old = members[1]!;
  await engineNode().node.engineReplicaRemove('b', old.name);
  await target().node.replicaDelete(old.name);
  const fresh = await cluster.replica(1, `b-r1g${++generation}`);
  members[1] = fresh;
  return fresh;
}

function job(id: string): JobInfo {
  return source().node.backups.jobGet(id);
}

async function jobEnd(id: string): Promise<JobInfo> {
  return until(`backup ${id} to end`, 60_000, async () => ['done', 'failed', 'cancelled'].includes(job(id).state) && job(id));
}

/** The backup restored into a new replica reads as the snapshot it was taken of. */
async function expectBackupOfS1(backupId: string, replica: string): Promise<void> {
  const restore = await source().node.backups.restoreCreate({ volume: members[0]!.name, backupId, disk: 'd', replica });
  const end = await jobEnd(restore.id);
  expect(end.state, end.reason).toBe('done');
  expect(await checksum(source().client, cluster.headAlias(replica))).toBe(await checksum(source().client, cluster.snapshotAlias(members[0]!.name, 's1')));
  await source().node.replicaDelete(replica);
}

async function expectRebuilt(replica: string): Promise<void> {
  const end = await cluster.rebuildEnd('b', replica, 60_000);
  expect(end.state, end.reason).toBe('done');
  expect(end.path, end.pathReason).toBe('snapshot-preserving');
  expect((await target().node.snapshotList(replica)).map((s) => s.name)).toEqual(['s1']);
  expect(await checksum(target().client, cluster.snapshotAlias(replica, 's1'))).toBe(await checksum(source().client, cluster.snapshotAlias(members[0]!.name, 's1')));
  expect(await checksum(target().client, cluster.headAlias(replica))).toBe(host.expectedChecksum());
}

/** Nothing of either copy stays on the source node. */
async function expectNothingLeft(): Promise<void> {
  await until('no copy controller, staging bdev or copy record left on the source node', 15_000, async () => {
    const controllers = (await source().client.call<Array<{ name: string }>>('bdev_nvme_get_controllers')).map((c) => c.name);
    const bdevs = (await source().client.call<Array<{ name: string }>>('bdev_get_bdevs')).map((b) => b.name);
    const state = JSON.parse(fs.readFileSync(path.join(source().dir, 'state.json'), 'utf8')) as { copies?: Record<string, unknown> };
    return !controllers.some((n) => n.startsWith('cp.')) && !bdevs.some((n) => n.startsWith('bk-')) && Object.keys(state.copies ?? {}).length === 0;
  });
  const staging = path.join(source().dir, 'backup-staging');
  expect(fs.existsSync(staging) ? fs.readdirSync(staging) : []).toEqual([]);
}

describe('a backup and a rebuild copying the same snapshot', () => {
  it('backup first: the rebuild waits, saying for whom and how far, then copies; both finish', async () => {
    const fresh = await freshOnNode1();
    await pause(true);
    let id: string;
    try {
      const backup = await source().node.backups.backupCreate({ replica: members[0]!.name, snapshot: 's1', volume: members[0]!.name });
      id = backup.id;
      await until('the backup copying', 20_000, async () => job(backup.id).state !== 'queued' && job(backup.id).bytesDone > 0);
      await engineNode().node.engineReplicaAdd('b', fresh);
      const waiting = await cluster.rebuildAt('b', fresh.name, 20_000, (r) => / waits for backup /.test(r.reason));
      expect(waiting.state).toBe('copying-snapshots');
      expect(waiting.reason).toMatch(new RegExp(`copying snapshot s1 \\(1 of 1\\) from ${members[0]!.name}: waits for backup ${backup.id}'s copy of the snapshot to end, 2 of \\d+ clusters copied`));
      expect(waiting.snapshots[0]).toMatchObject({ state: 'copying', copiedClusters: 0 });
    } finally {
      await pause(false);
    }
    const done = await jobEnd(id);
    expect(done.state, done.reason).toBe('done');
    await expectRebuilt(fresh.name);
    await expectNothingLeft();
    await expectBackupOfS1(done.backupId, 'b-back1');
  }, 120_000);

  it('rebuild first: the backup waits, saying for whom and how far, then stages; both finish', async () => {
    const fresh = await freshOnNode1();
    await pause(true);
    let id: string;
    try {
      await engineNode().node.engineReplicaAdd('b', fresh);
      await cluster.rebuildAt('b', fresh.name, 20_000, (r) => r.state === 'copying-snapshots' && (r.snapshots[0]?.copiedClusters ?? 0) > 0);
      const backup = await source().node.backups.backupCreate({ replica: members[0]!.name, snapshot: 's1', volume: members[0]!.name });
      id = backup.id;
      const waiting = await until('the backup waiting for the rebuild copy', 20_000, async () => / waits for rebuild copy /.test(job(backup.id).reason) && job(backup.id));
      // A volume's first snapshot is read behind its copy: the job is uploading from the stage's answer, its copy waiting.
      expect(['staging', 'uploading']).toContain(waiting.state);
      expect(waiting.bytesUploaded).toBe(0);
      expect(waiting.reason).toMatch(new RegExp(`waits for rebuild copy of ${members[0]!.name}'s copy of a snapshot it stages to end \\(.*2 of \\d+ clusters copied\\)`));
      expect((await engineNode().node.rebuildGet('b', fresh.name)).reason).not.toMatch(/waits/);
    } finally {
      await pause(false);
    }
    await expectRebuilt(fresh.name);
    const done = await jobEnd(id);
    expect(done.state, done.reason).toBe('done');
    await expectNothingLeft();
    await expectBackupOfS1(done.backupId, 'b-back2');
  }, 120_000);
});
