/**
 * The restore data path over NVMe/TCP (backup.restoreVia nvmf-tcp, the default) against a
 * simulator process, whose listeners answer NVMe/TCP as spdk_tgt's TCP transport does: a staged
 * snapshot restored into a new replica reads back identical with only its data clusters
 * allocated, and every path (done, refused, aborted, I/O failed, listener gone) leaves no restore
 * subsystem, lvol b.<replica>, port, keyring key or key file behind. The export's host entry takes
 * a DH-HMAC-CHAP key pair made for the restore (backup.restoreAuth dhchap): a host that names the
 * restore host NQN without the key, or with another, is refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../src/domain/backup/jobs-model.js';
import { restoreKeyUser } from '../../src/domain/node/keys.js';
import { RESTORE_HOST_NQN, restoreNqn } from '../../src/domain/node/naming.js';
import { NvmeTcpHost } from '../../src/nvme-tcp/host.js';
import { newDhchapSecret } from '../../src/validation/nvme-secrets.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { conductorRefusal as refusal } from '../helpers/refusal.js';
import { until } from '../helpers/until.js';
import { restartTarget } from './helpers/restart-target.js';

const MIB = 1024 * 1024;
const SIZE = 32 * MIB;
const BLOCK = 4096;
const READ_BLOCK = 256 * 1024;
/** backup.restoreIoTimeoutMs here: long beside a loopback write, short for a test to wait out. */
const IO_TIMEOUT_MS = 5_000;

let node: NodeFixture;
const live = Buffer.alloc(SIZE);
let image: Buffer;
/** A restore subsystem whose host entry reaches spdk_tgt without its keys (the proxy drops them): an export that asks for no authentication. */
let keysDroppedFor: string | undefined;

/** The service's requests as the proxy forwards them: `nvmf_subsystem_add_host` of `keysDroppedFor` loses dhchap_key and dhchap_ctrlr_key. */
function dropRestoreKeys(request: { method?: unknown; params?: unknown }): unknown {
  const params = request.params as { nqn?: string; dhchap_key?: string; dhchap_ctrlr_key?: string } | undefined;
  if (request.method !== 'nvmf_subsystem_add_host' || keysDroppedFor === undefined || params?.nqn !== keysDroppedFor) return request;
  const { dhchap_key: _key, dhchap_ctrlr_key: _ctrlrKey, ...rest } = params;
  return { ...request, params: rest };
}

async function write(offset: number, bytes: number): Promise<void> {
  const data = randomBytes(bytes);
  data.copy(live, offset);
  for (let off = 0; off < bytes; off += 128 * 1024) {
    const chunk = data.subarray(off, Math.min(bytes, off + 128 * 1024));
    await node.client.callUnchecked('sim_bdev_write', { name: 'lvs.d/r.src', offset_blocks: (offset + off) / BLOCK, data_base64: chunk.toString('base64') });
  }
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

interface Left {
  building: string[];
  subsystems: string[];
  bdevs: string[];
  /** spdk_tgt's keyring (only restores make keys in this file) and the service's key directory. */
  keys: string[];
  keyFiles: string[];
}

function keyFiles(): string[] {
  const dir = path.join(node.dir, 'keys');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

async function leftovers(): Promise<Left> {
  const building = (await node.client.call<Array<{ name: string }>>('bdev_lvol_get_lvols')).map((l) => l.name).filter((n) => n.startsWith('b.'));
  const subsystems = (await node.client.call<Array<{ nqn: string }>>('nvmf_get_subsystems')).map((s) => s.nqn).filter((n) => n.includes(':restore:'));
  const bdevs = (await node.client.call<Array<{ name: string }>>('bdev_get_bdevs')).map((b) => b.name).filter((n) => n.startsWith('bk-'));
  const keys = (await node.client.call<Array<{ name: string }>>('keyring_get_keys')).map((k) => k.name);
  return { building, subsystems, bdevs, keys, keyFiles: keyFiles() };
}

const NOTHING: Left = { building: [], subsystems: [], bdevs: [], keys: [], keyFiles: [] };

async function nothingLeft(): Promise<void> {
  let last = NOTHING;
  await until(
    'the restore to leave nothing in spdk_tgt',
    async () => {
      last = await leftovers();
      return JSON.stringify(last) === JSON.stringify(NOTHING);
    },
    30_000,
    () => JSON.stringify(last),
  );
}

beforeAll(async () => {
  node = await startNode({
    env: { CONDUCTOR_BACKUP_RESTORE_IO_TIMEOUT_MS: String(IO_TIMEOUT_MS), CONDUCTOR_BACKUP_RETRIES: '1', CONDUCTOR_BACKUP_RETRY_MIN_MS: '100' },
    rewriteCalls: dropRestoreKeys,
  });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
  await node.node.replicaCreate('src', 'd', SIZE);
  // Data in clusters 0-2, 10 and 31: five of the volume's 32 clusters.
  await write(0, 3 * MIB);
  await write(10 * MIB + 4096, MIB / 2);
  await write(31 * MIB, MIB);
  await node.node.snapshotCreate({ replicaName: 'src', name: 's1' });
  image = Buffer.from(live);
}, 60_000);

afterAll(async () => {
  await node?.close();
});

describe('restoring over NVMe/TCP', () => {
  it('writes only the data into a thin lvol through a loopback export of its own, and the replica reads back identical', async () => {
    const staged = await node.node.dataPath.stageSnapshot({ replica: 'src', snapshot: 's1', mode: 'full' });
    const sink = await node.node.dataPath.openRestore({ disk: 'd', replica: 'back', sizeBytes: SIZE, allocatedBytes: staged.allocatedBytes });
    // While it writes: one subsystem on 127.0.0.1, allowing only the service's restore host, with a key pair of its own.
    type Sub = { nqn: string; allow_any_host: boolean; hosts: Array<{ nqn: string; dhchap_key?: string; dhchap_ctrlr_key?: string }>; listen_addresses: Array<{ traddr: string; trsvcid: string }> };
    const [sub] = (await node.client.call<Sub[]>('nvmf_get_subsystems')).filter((s) => s.nqn === restoreNqn('back'));
    expect(sub).toMatchObject({ allow_any_host: false, hosts: [{ nqn: RESTORE_HOST_NQN }], listen_addresses: [{ traddr: '127.0.0.1' }] });
    const [entry] = sub!.hosts;
    expect(entry?.dhchap_key).toBeTruthy();
    expect(entry?.dhchap_ctrlr_key).toBeTruthy();
    expect((await leftovers()).keys.sort()).toEqual([entry!.dhchap_key, entry!.dhchap_ctrlr_key].sort());
    expect(keyFiles()).toHaveLength(2);
    // Both queues authenticated with ffdhe2048, the strongest of the restore's offer (null, ffdhe2048) the target allows.
    const qpairs = await node.client.call<Array<{ auth?: { state: string; dhgroup: string } }>>('nvmf_subsystem_get_qpairs', { nqn: restoreNqn('back') });
    expect(qpairs.map((q) => q.auth)).toEqual([expect.objectContaining({ state: 'completed', dhgroup: 'ffdhe2048' }), expect.objectContaining({ state: 'completed', dhgroup: 'ffdhe2048' })]);
    // Another local process naming the restore host: refused without the key, and with another one.
    const at = { address: '127.0.0.1', port: Number(sub!.listen_addresses[0]!.trsvcid), subnqn: restoreNqn('back'), hostnqn: RESTORE_HOST_NQN, timeoutMs: 5_000 };
    expect((await refusal(NvmeTcpHost.connect(at))).message).toMatch(/authenticat/i);
    expect((await refusal(NvmeTcpHost.connect({ ...at, dhchap: { key: newDhchapSecret() } }))).message).toMatch(/authenticat|refused|fail/i);
    try {
      for await (const block of staged.blocks(READ_BLOCK)) await sink.write(block.offset, block.data);
    } finally {
      await staged.close();
    }
    const percents: number[] = [];
    const made = await sink.commit((p) => percents.push(p.percent));
    expect(made.replica).toBe('back');
    expect(percents.at(-1)).toBe(100);
    expect((await node.node.replicaGet('back')).sizeBytes).toBe(SIZE);
    const sum = await node.client.callUnchecked<{ sha256: string }>('sim_bdev_checksum', { name: 'lvs.d/r.back' });
    expect(sum.sha256).toBe(sha(image));
    // Thin: the five clusters that hold data, not the volume's 32 (the staging path inflates all).
    const [lvol] = (await node.client.call<Array<{ name: string; is_thin_provisioned: boolean; num_allocated_clusters: number }>>('bdev_lvol_get_lvols')).filter((l) => l.name === 'r.back');
    expect(lvol).toMatchObject({ is_thin_provisioned: true, num_allocated_clusters: 5 });
    expect(await leftovers()).toEqual(NOTHING);
    await node.node.replicaDelete('back');
  });

  it('refuses an existing replica, a bad size and a write outside the volume or not in whole blocks, with nothing left', async () => {
    expect((await refusal(node.node.dataPath.openRestore({ disk: 'd', replica: 'src', sizeBytes: SIZE }))).code).toBe('REPLICA_EXISTS');
    expect((await refusal(node.node.dataPath.openRestore({ disk: 'd', replica: 'x', sizeBytes: SIZE + 4096 }))).code).toBe('INVALID_SIZE');
    expect((await refusal(node.node.dataPath.openRestore({ disk: 'nope', replica: 'x', sizeBytes: SIZE }))).code).toBe('DISK_NOT_FOUND');
    const sink = await node.node.dataPath.openRestore({ disk: 'd', replica: 'x', sizeBytes: SIZE });
    expect((await refusal(node.node.dataPath.openRestore({ disk: 'd', replica: 'x', sizeBytes: SIZE }))).code).toBe('REPLICA_EXISTS');
    expect((await refusal(sink.write(SIZE - 4096, Buffer.alloc(8192)))).code).toBe('INVALID_ARGUMENT');
    expect((await refusal(sink.write(100, Buffer.alloc(4096)))).code).toBe('INVALID_ARGUMENT');
    await sink.abort();
    await sink.abort();
    expect(await leftovers()).toEqual(NOTHING);
    expect((await refusal(node.node.replicaGet('x'))).code).toBe('REPLICA_NOT_FOUND');
  });

  it('a cancelled restore removes its export and lvol', async () => {
    const abort = new AbortController();
    const sink = await node.node.dataPath.openRestore({ disk: 'd', replica: 'halfway', sizeBytes: SIZE, signal: abort.signal });
    await sink.write(0, randomBytes(2 * MIB));
    abort.abort();
    expect((await refusal(sink.write(2 * MIB, randomBytes(MIB)))).code).toBe('CANCELLED');
    await sink.abort();
    await nothingLeft();
    expect((await refusal(node.node.replicaGet('halfway'))).code).toBe('REPLICA_NOT_FOUND');
  });

  it('a write the lvol fails is an error that says so, and the abort leaves nothing', async () => {
    const sink = await node.node.dataPath.openRestore({ disk: 'd', replica: 'failing', sizeBytes: SIZE });
    await node.client.callUnchecked('sim_bdev_fail_io', { name: 'lvs.d/b.failing', enable: true });
    try {
      const error = await refusal(sink.write(0, randomBytes(MIB)));
      expect(error.message).toMatch(/write|NVMe|status/i);
    } finally {
      await node.client.callUnchecked('sim_bdev_fail_io', { name: 'lvs.d/b.failing', enable: false }).catch(() => undefined);
    }
    await sink.abort();
    await nothingLeft();
  });

  it('spdk_tgt closing the connection fails the writes at once, and the abort still removes everything', async () => {
    const sink = await node.node.dataPath.openRestore({ disk: 'd', replica: 'cut', sizeBytes: SIZE });
    await sink.write(0, randomBytes(MIB));
    await node.client.callUnchecked('sim_listeners_kill');
    try {
      const error = await refusal(sink.write(MIB, randomBytes(MIB)));
      expect(error.message.length).toBeGreaterThan(0);
      await sink.abort();
    } finally {
      await node.client.callUnchecked('sim_listeners_restore');
    }
    await nothingLeft();
  });

  it('the sweep of a restarted service removes a restore subsystem and its lvol left by a killed one', async () => {
    const sink = await node.node.dataPath.openRestore({ disk: 'd', replica: 'orphan', sizeBytes: SIZE });
    await sink.write(0, randomBytes(MIB));
    // What a kill -9 leaves (nothing of this process removes it): the subsystem, its keys and b.orphan.
    const before = await leftovers();
    expect(before.subsystems).toEqual([restoreNqn('orphan')]);
    expect(before.keys).toHaveLength(2);
    const { removed } = await node.node.dataPath.sweepOrphans();
    expect(removed).toContain('lvs.d/b.orphan');
    // The keys are the keys' recovery's, after the sweep at start (service-kill.test): here the abort releases them.
    const after = await leftovers();
    expect({ ...after, keys: [], keyFiles: [] }).toEqual(NOTHING);
    await sink.abort();
    await nothingLeft();
  });

  it('an export that stops answering fails the write at backup.restoreIoTimeoutMs with the reason, and the abort removes everything', async () => {
    const sink = await node.node.dataPath.openRestore({ disk: 'd', replica: 'silent', sizeBytes: SIZE });
    await sink.write(0, randomBytes(MIB));
    await node.client.callUnchecked('sim_fabric_blackhole', { nqn: restoreNqn('silent'), enable: true });
    try {
      const error = await refusal(sink.write(MIB, randomBytes(MIB)));
      expect(error.message).toMatch(/timed out|deadline|did not answer|within/i);
      await sink.abort();
    } finally {
      await node.client.callUnchecked('sim_fabric_blackhole', { nqn: restoreNqn('silent'), enable: false }).catch(() => undefined);
    }
    await nothingLeft();
  });

  it('a restore whose export does not ask for authentication fails with SPDK_INCONSISTENT before writing, and leaves nothing (lvol, subsystem, keys, key user)', async () => {
    await node.node.backups.targetSet({ kind: 'fs', path: path.join(node.dir, 'target') });
    const backup = await ended((await node.node.backups.backupCreate({ replica: 'src', snapshot: 's1', volume: 'vol' })).id);
    expect(backup.state, backup.reason).toBe('done');
    const [lvs] = await node.client.call<Array<{ name: string; base_bdev: string }>>('bdev_lvol_get_lvstores', { lvs_name: 'lvs.d' });
    const written = async () => (await node.client.call<{ bdevs: Array<{ bytes_written: number }> }>('bdev_get_iostat', { names: [lvs!.base_bdev] })).bdevs[0]!.bytes_written;
    const writtenBefore = await written();
    const mark = node.proxy!.mark;
    keysDroppedFor = restoreNqn('unauthed');
    let end: JobInfo;
    try {
      end = await ended((await node.node.backups.restoreCreate({ volume: 'vol', backupId: backup.backupId, disk: 'd', replica: 'unauthed' })).id);
    } finally {
      keysDroppedFor = undefined;
    }
    expect(end.state).toBe('failed');
    expect(end.errorCode).toBe('SPDK_INCONSISTENT');
    expect(end.reason).toMatch(/restore export of unauthed did not authenticate with the DH-HMAC-CHAP key pair/);
    // The service gave the host entry its key pair; spdk_tgt got it without (each attempt of the job)
    const calls = node.proxy!.since(mark);
    const addHosts = calls.filter((c) => c.method === 'nvmf_subsystem_add_host' && (c.params as { nqn: string }).nqn === restoreNqn('unauthed'));
    expect(addHosts.length).toBeGreaterThan(0);
    for (const call of addHosts) {
      expect(call.ok).toBe(true);
      expect(call.params).not.toHaveProperty('dhchap_key');
      expect(call.params).not.toHaveProperty('dhchap_ctrlr_key');
    }
    // Made, then removed: the subsystem, the lvol b.unauthed, the keys
    expect(calls.filter((c) => c.method === 'nvmf_delete_subsystem' && (c.params as { nqn: string }).nqn === restoreNqn('unauthed')).map((c) => c.ok)).toContain(true);
    expect(calls.filter((c) => c.method === 'bdev_lvol_delete' && String((c.params as { name: string }).name).endsWith('/b.unauthed')).map((c) => c.ok)).toContain(true);
    await nothingLeft();
    const state = JSON.parse(fs.readFileSync(path.join(node.dir, 'state.json'), 'utf8')) as { keyUsers?: Record<string, unknown> };
    expect(Object.keys(state.keyUsers ?? {})).not.toContain(restoreKeyUser('unauthed'));
    // Nothing written: the disk under the lvol took lvol metadata only, not the backup's 4.5 MiB of data
    expect((await written()) - writtenBefore).toBeLessThan(MIB);
    expect((await refusal(node.node.replicaGet('unauthed'))).code).toBe('REPLICA_NOT_FOUND');
  });

  it('kill -9 of spdk_tgt mid-restore ends the job with a reason, and after the reconcile no restore lvol or export is left', { timeout: 180_000 }, async () => {
    await node.node.backups.targetSet({ kind: 'fs', path: path.join(node.dir, 'target') });
    const backup = await ended((await node.node.backups.backupCreate({ replica: 'src', snapshot: 's1', volume: 'vol' })).id);
    expect(backup.state, backup.reason).toBe('done');
    const job = await node.node.backups.restoreCreate({ volume: 'vol', backupId: backup.backupId, disk: 'd', replica: 'killed' });
    // Held mid-download: its export stops answering once it exists.
    await until('the restore export to exist', async () => ((await leftovers()).subsystems.includes(restoreNqn('killed')) ? true : undefined), 30_000);
    await node.client.callUnchecked('sim_fabric_blackhole', { nqn: restoreNqn('killed'), enable: true });
    await restartTarget(node);
    const end = await ended(job.id);
    console.log(`restore after spdk_tgt kill -9: ${end.state} (${end.errorCode}): ${end.reason}`);
    expect(end.state).toBe('failed');
    expect(end.reason).not.toBe('');
    await nothingLeft();
    expect((await refusal(node.node.replicaGet('killed'))).code).toBe('REPLICA_NOT_FOUND');
  });
});

async function ended(id: string): Promise<JobInfo> {
  return until(`job ${id} to end`, () => {
    const job = node.node.backups.jobGet(id);
    return ['done', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
  });
}
