/**
 * Staging space is admitted like memory: a stage or restore that cannot fit in the staging
 * directory (free bytes less backup.stagingKeepFreeMib) is refused with the numbers, before any
 * file or bdev is made. Here the kept-free space (1 PiB) exceeds any free space there is.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { conductorRefusal as refusal } from '../helpers/refusal.js';

const MIB = 1024 * 1024;
const KEEP_FREE_MIB = 1024 * 1024 * 1024;
let node: NodeFixture;

beforeAll(async () => {
  node = await startNode({ env: { CONDUCTOR_BACKUP_RESTORE_VIA: 'staging', CONDUCTOR_BACKUP_STAGING_KEEP_FREE_MIB: String(KEEP_FREE_MIB) } });
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 256) });
  await node.node.replicaCreate('r', 'd', 16 * MIB);
  await node.client.callUnchecked('sim_bdev_write', { name: 'lvs.d/r.r', offset_blocks: 0, data_base64: randomBytes(64 * 1024).toString('base64') });
  await node.node.snapshotCreate({ replicaName: 'r', name: 's' });
}, 60_000);

afterAll(async () => {
  await node?.close();
});

describe('staging space admission', () => {
  it('refuses a stage and a restore that do not fit, with the numbers, making nothing', async () => {
    const stage = await refusal(node.node.dataPath.stageSnapshot({ replica: 'r', snapshot: 's', mode: 'full' }));
    expect(stage.code).toBe('STAGING_SPACE_EXHAUSTED');
    expect(stage.kind).toBe('resource-exhausted');
    // One 1 MiB cluster written: that is what the stage needs.
    expect(stage.details).toMatchObject({ neededBytes: MIB, reservedBytes: 0, keepFreeBytes: KEEP_FREE_MIB * MIB });
    expect(stage.details.freeBytes).toBeGreaterThan(0);
    expect(stage.message).toContain(`needs ${MIB} bytes`);
    expect(stage.message).toContain(`${stage.details.freeBytes} bytes free`);

    const restore = await refusal(node.node.dataPath.openRestore({ disk: 'd', replica: 'back', sizeBytes: 16 * MIB, allocatedBytes: 2 * MIB }));
    expect(restore.code).toBe('STAGING_SPACE_EXHAUSTED');
    expect(restore.details).toMatchObject({ neededBytes: 2 * MIB });

    const dir = path.join(node.dir, 'backup-staging');
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
    const bdevs = await node.client.call<Array<{ name: string }>>('bdev_get_bdevs');
    expect(bdevs.filter((b) => b.name.startsWith('bk-'))).toEqual([]);
    expect(node.node.dataPath.reservedBytes).toBe(0);
  });
});
