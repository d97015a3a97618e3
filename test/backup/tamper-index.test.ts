/**
 * What a target whose objects were changed or lost does to backups, through the service on the
 * simulator with its real data path and the filesystem target (a directory the test edits):
 * - a manifest with bytes changed is refused by RestoreCreate with BACKUP_CORRUPT, making nothing;
 * - a block with bytes changed fails the restore with BACKUP_CORRUPT naming the block, and the
 *   restore leaves nothing (no replica, no aio bdev, no clone, no staging file);
 * - the per-volume index (volumes/<v>/index.json) lists the volume's backups after each create and
 *   delete, and a missing or corrupt index is tolerated (listing reads manifests) and rewritten
 *   whole by the next backup or delete.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../src/domain/backup/jobs-model.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { until } from '../helpers/until.js';

const MiB = 1024 * 1024;
const SIZE = 32 * MiB;

let node: NodeFixture;
let target: string;

async function write(bdev: string, offset: number, bytes: number): Promise<void> {
  for (let off = 0; off < bytes; off += 128 * 1024) {
    await node.client.callUnchecked('sim_bdev_write', { name: bdev, offset_blocks: (offset + off) / 4096, data_base64: randomBytes(128 * 1024).toString('base64') });
  }
}

async function ended(id: string): Promise<JobInfo> {
  return until(`job ${id} to end`, () => {
    const job = node.node.backups.jobGet(id);
    return ['done', 'failed', 'cancelled'].includes(job.state) ? job : undefined;
  });
}

async function backup(replica: string, snapshot: string, volume: string): Promise<string> {
  const job = await ended((await node.node.backups.backupCreate({ replica, snapshot, volume })).id);
  expect(job.state, job.reason).toBe('done');
  return job.backupId!;
}

/** What a restore could leave: the replica, aio bdevs, clones, staging files. */
async function leftovers(replica: string): Promise<string[]> {
  const bdevs = await node.client.callUnchecked<Array<{ name: string; product_name: string; aliases: string[] }>>('bdev_get_bdevs', {});
  const staging = path.join(node.dir, 'backup-staging');
  return [
    ...bdevs
      .filter((b) => b.product_name.includes('AIO') || b.name.startsWith('b.') || b.aliases.some((a) => a.endsWith(`/r.${replica}`) || a.includes('/b.')))
      .map((b) => `bdev ${b.aliases[0] ?? b.name}`),
    ...(fs.existsSync(staging) ? fs.readdirSync(staging).map((f) => `staging ${f}`) : []),
    ...(node.node.backups.jobList().some((j) => j.replica === replica && j.kind === 'restore' && !['done', 'failed', 'cancelled'].includes(j.state)) ? ['a running job'] : []),
  ];
}

interface Index {
  volume: string;
  backups: Array<{ id: string; snapshot: string; blockCount: number }>;
}

const indexFile = (volume: string) => path.join(target, 'volumes', volume, 'index.json');
const readIndex = (volume: string): Index => JSON.parse(fs.readFileSync(indexFile(volume), 'utf8')) as Index;
const manifestFile = (volume: string, id: string) => path.join(target, 'volumes', volume, 'manifests', `${id}.json`);

beforeAll(async () => {
  node = await startNode();
  // The default target: a directory beside the state file.
  target = path.join(node.dir, 'backups');
  await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
  await node.node.replicaCreate('src', 'd', SIZE);
  // The aio disk the service made for its disk is not a restore's: leftovers() ignores what is there now.
}, 120_000);

afterAll(async () => {
  await node?.close();
});

describe('a tampered target', { timeout: 300_000 }, () => {
  let first: string;
  let baseline: string[];

  beforeAll(async () => {
    await write('lvs.d/r.src', 0, 6 * MiB);
    await node.node.snapshotCreate({ replicaName: 'src', name: 's1' });
    first = await backup('src', 's1', 'tv');
    baseline = await leftovers('none');
  });

  it('a manifest with bytes changed is refused by RestoreCreate with BACKUP_CORRUPT, and nothing is made', async () => {
    const file = manifestFile('tv', first);
    const good = fs.readFileSync(file);
    // One byte of the JSON changed, still valid JSON: the size is edited.
    const text = good.toString('utf8');
    const tampered = text.replace(/"sizeBytes":(\d)/, (_m, d: string) => `"sizeBytes":${d === '9' ? '8' : String(Number(d) + 1)}`);
    expect(tampered).not.toBe(text);
    fs.writeFileSync(file, tampered);
    try {
      await expect(node.node.backups.restoreCreate({ volume: 'tv', backupId: first, disk: 'd', replica: 'tback' })).rejects.toMatchObject({
        code: 'BACKUP_CORRUPT',
        message: expect.stringMatching(new RegExp(`manifest tv/${first}: .*checksum`)),
      });
      // Bytes that are not JSON at all.
      fs.writeFileSync(file, good.subarray(0, good.length - 7));
      await expect(node.node.backups.restoreCreate({ volume: 'tv', backupId: first, disk: 'd', replica: 'tback' })).rejects.toMatchObject({ code: 'BACKUP_CORRUPT' });
      expect((await node.node.replicaList(undefined)).map((r) => r.name)).not.toContain('tback');
      expect(await leftovers('tback')).toEqual(baseline);
      expect(node.node.backups.jobList().filter((j) => j.kind === 'restore')).toEqual([]);
    } finally {
      fs.writeFileSync(file, good);
    }
  });

  it('a block with bytes changed fails the restore with BACKUP_CORRUPT naming it, and the restore leaves nothing', async () => {
    const blocks = path.join(target, 'volumes', 'tv', 'blocks');
    const files = fs.readdirSync(blocks, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.length).toBe(3);
    const victim = path.join(files[1]!.parentPath, files[1]!.name);
    const good = fs.readFileSync(victim);
    const bad = Buffer.from(good);
    bad[Math.floor(bad.length / 2)]! ^= 0x40;
    fs.writeFileSync(victim, bad);
    try {
      const job = await ended((await node.node.backups.restoreCreate({ volume: 'tv', backupId: first, disk: 'd', replica: 'tback' })).id);
      expect(job.state).toBe('failed');
      expect(job.errorCode).toBe('BACKUP_CORRUPT');
      expect(job.reason).toContain(`backup block tv/${files[1]!.name.slice(0, 16)}`);
      // The job is ended once its work let go of everything.
      await until('the restore to leave nothing', async () => (JSON.stringify(await leftovers('tback')) === JSON.stringify(baseline) ? true : undefined), 30_000);
      expect((await node.node.replicaList(undefined)).map((r) => r.name)).not.toContain('tback');
    } finally {
      fs.writeFileSync(victim, good);
    }
    // The block put back, the same backup restores.
    const again = await ended((await node.node.backups.restoreCreate({ volume: 'tv', backupId: first, disk: 'd', replica: 'tback' })).id);
    expect(again.state, again.reason).toBe('done');
  });

  let second = '';
  it("a tampered manifest does not stop the volume's next backups, its list or its index; it is named, not listed", async () => {
    const file = manifestFile('tv', first);
    const good = fs.readFileSync(file);
    fs.writeFileSync(file, good.toString('utf8').replace('"snapshot":"s1"', '"snapshot":"s9"'));
    try {
      // 2 MiB more on top of s1: the three blocks s1's backup stored are found present, not sent again.
      await write('lvs.d/r.src', 10 * MiB, 2 * MiB);
      await node.node.snapshotCreate({ replicaName: 'src', name: 's2' });
      const job = await ended((await node.node.backups.backupCreate({ replica: 'src', snapshot: 's2', volume: 'tv' })).id);
      expect(job.state, job.reason).toBe('done');
      expect([job.blocksUploaded, job.blocksSkipped]).toEqual([1, 3]);
      expect((await node.node.backups.backupList('tv')).map((b) => b.id)).toEqual([job.backupId]);
      expect((await node.node.backups.backupList()).map((b) => b.id)).toContain(job.backupId);
      const index = readIndex('tv') as Index & { corrupt?: Array<{ id: string; reason: string }> };
      expect(index.backups.map((b) => b.id)).toEqual([job.backupId]);
      expect(index.corrupt).toEqual([{ id: first, reason: expect.stringContaining('checksum') }]);
      // A delete's sweep cannot know which blocks it still names: another backup's delete is refused, nothing changed.
      await expect(node.node.backups.backupDelete('tv', job.backupId!)).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', message: expect.stringContaining(first) });
      expect(fs.existsSync(manifestFile('tv', job.backupId!))).toBe(true);
      second = job.backupId!;
    } finally {
      fs.writeFileSync(file, good);
    }
    expect((await node.node.backups.backupList('tv')).map((b) => b.id)).toEqual([first, second]);
  });
});

describe("the volume's index", { timeout: 300_000 }, () => {
  it('lists every backup after each create and delete; a missing or corrupt one is tolerated and rewritten', async () => {
    await node.node.replicaCreate('ix', 'd', SIZE);
    await write('lvs.d/r.ix', 0, 2 * MiB);
    await node.node.snapshotCreate({ replicaName: 'ix', name: 'i1' });
    const a = await backup('ix', 'i1', 'iv');
    expect(readIndex('iv')).toMatchObject({ volume: 'iv', backups: [{ id: a, snapshot: 'i1', blockCount: 1 }] });

    await write('lvs.d/r.ix', 4 * MiB, 2 * MiB);
    await node.node.snapshotCreate({ replicaName: 'ix', name: 'i2' });
    const b = await backup('ix', 'i2', 'iv');
    expect(readIndex('iv').backups.map((x) => [x.id, x.snapshot, x.blockCount])).toEqual([
      [a, 'i1', 1],
      [b, 'i2', 2],
    ]);

    // Lost: listing does not need it, and the next backup writes it whole again.
    fs.rmSync(indexFile('iv'));
    expect((await node.node.backups.backupList('iv')).map((x) => x.id)).toEqual([a, b]);
    await write('lvs.d/r.ix', 8 * MiB, 2 * MiB);
    await node.node.snapshotCreate({ replicaName: 'ix', name: 'i3' });
    const c = await backup('ix', 'i3', 'iv');
    expect(readIndex('iv').backups.map((x) => x.id)).toEqual([a, b, c]);

    // Corrupt (torn JSON): tolerated likewise, and the delete's rewrite replaces it.
    fs.writeFileSync(indexFile('iv'), '{"volume":"iv","backups":[{"id"');
    expect((await node.node.backups.backupList('iv')).map((x) => x.id)).toEqual([a, b, c]);
    expect(await node.node.backups.backupDelete('iv', b)).toMatchObject({ sweepDeferred: false });
    expect(readIndex('iv').backups.map((x) => x.id)).toEqual([a, c]);

    await node.node.backups.backupDelete('iv', a);
    await node.node.backups.backupDelete('iv', c);
    expect(readIndex('iv')).toMatchObject({ volume: 'iv', backups: [] });
    expect(await node.node.backups.backupList('iv')).toEqual([]);
  });
});
