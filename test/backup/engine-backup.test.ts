/**
 * A backup of an engine's volume through the service on the simulator: an engine over two local
 * members, writes through the volume, `backup create --engine` (a volume snapshot on every member,
 * one local member's copy staged), writes after it, a restore: the restored replica holds the
 * volume's data as it was at the snapshot (at the raid's data offset, past its superblock); the
 * volume snapshot the backup took is gone once it ended. A replica that is not a member is refused
 * with nothing taken.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { createLocalEngine } from '../helpers/local-engine.js';
import { until } from '../helpers/until.js';
import { cliJson, type CliJsonResult } from './helpers/cli-json.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:3f1c2a9e-5b7d-4c1e-8a2f-6d9b0e4c7a15';

let node: NodeFixture;

function cli(...args: string[]): Promise<CliJsonResult> {
  return cliJson(node.dir, ...args);
}

interface Bdev {
  name: string;
  block_size: number;
  num_blocks: number;
}

/** Writes random data through the volume (its raid bdev), 128 KiB a call. */
async function writeVolume(offset: number, bytes: number): Promise<void> {
  for (let off = 0; off < bytes; off += 128 * 1024) {
    await node.client.callUnchecked('sim_bdev_write', { name: 'e.ev', offset_blocks: (offset + off) / 4096, data_base64: randomBytes(128 * 1024).toString('base64') });
  }
}

beforeAll(async () => {
  node = await startNode();
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
  await node.node.replicaCreate('em1', 'd', SIZE);
  await node.node.replicaCreate('em2', 'd', SIZE);
  await node.node.replicaCreate('loner', 'd', SIZE);
  await createLocalEngine(node.node, 'ev', SIZE, ['em1', 'em2'], HOST);
}, 120_000);

afterAll(async () => {
  await node?.close();
});

describe("backup of an engine's volume", { timeout: 300_000 }, () => {
  it("takes a volume snapshot on the members, backs up a local member's copy, and restores the volume's data at the snapshot", async () => {
    const [volume] = await node.client.callUnchecked<Bdev[]>('bdev_get_bdevs', { name: 'e.ev' });
    expect(volume!.block_size).toBe(4096);
    await writeVolume(0, 4 * MiB);
    await writeVolume(12 * MiB, 2 * MiB);
    const atSnapshot = await node.client.callUnchecked<{ sha256: string }>('sim_bdev_checksum', { name: 'e.ev' });

    const backup = await cli('backup', 'create', '--engine', 'ev', '--wait');
    expect(backup.exitCode, backup.stderr).toBe(0);
    expect(backup.json).toMatchObject({ state: 'BACKUP_JOB_STATE_DONE', volume: 'ev', snapshot: backup.json.backupId });
    expect(['em1', 'em2']).toContain(backup.json.replica);
    // Written after the snapshot: not in the backup.
    await writeVolume(0, MiB);

    // The volume snapshot the backup took goes when it ends, on every member.
    await until("the backup's volume snapshot deleted", async () => (await node.node.engineSnapshotList('ev')).length === 0 && node.node.backups.snapshots.waiting().length === 0, 30_000);
    for (const member of ['em1', 'em2']) expect(await node.node.snapshotList(member)).toEqual([]);

    const restore = await cli('backup', 'restore', 'ev', String(backup.json.backupId), 'ev-back', '--disk', 'd', '--wait');
    expect(restore.exitCode, restore.stderr).toBe(0);
    // The member's image holds the raid's superblock first: the volume's data is at its data offset.
    const [raid] = await node.client.callUnchecked<Array<{ base_bdevs_list: Array<{ data_offset: number }> }>>('bdev_raid_get_bdevs', { category: 'all' });
    const offset = raid!.base_bdevs_list[0]!.data_offset;
    const restored = await node.client.callUnchecked<{ sha256: string }>('sim_bdev_checksum', { name: 'lvs.d/r.ev-back', offset_blocks: offset, num_blocks: volume!.num_blocks });
    expect(restored.sha256).toBe(atSnapshot.sha256);
    const now = await node.client.callUnchecked<{ sha256: string }>('sim_bdev_checksum', { name: 'e.ev' });
    expect(now.sha256).not.toBe(atSnapshot.sha256);
  });

  it('a replica that is not a member of the engine is refused, with nothing taken', async () => {
    const refused = await cli('backup', 'create', 'loner', '--engine', 'ev');
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/replica loner is not a member of engine ev \(members: em1, em2\)/);
    expect(await node.node.engineSnapshotList('ev')).toEqual([]);
    for (const replica of ['em1', 'em2', 'loner']) expect(await node.node.snapshotList(replica)).toEqual([]);
    const usage = await cli('backup', 'create');
    expect(usage.exitCode).not.toBe(0);
    expect(usage.stderr).toMatch(/needs a REPLICA or --engine/);
  });
});
