/**
 * Multipart uploads against the test S3 server (s3rver, plus the ListMultipartUploads and
 * AbortMultipartUpload it lacks: helpers/s3-server.ts): the orphan abort at start touches only
 * this service's keys under its prefix, never another writer's upload in the same bucket or
 * prefix (with prefix '' the listing is the whole bucket's), across pages of the listing; and a
 * manifest larger than a part goes up in parts and reads back whole.
 */
import { randomBytes } from 'node:crypto';
import { CreateMultipartUploadCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_BYTES, COMPRESSION, FORMAT_NAME, FORMAT_VERSION, isLayoutKey, sealManifest } from '../../src/objectstore/format.js';
import { BackupRepository } from '../../src/objectstore/repository.js';
import { S3Store } from '../../src/objectstore/s3-store.js';
import { startS3, type TestS3 } from './helpers/s3-server.js';

const MiB = 1024 * 1024;
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

let s3: TestS3;
let client: S3Client;

beforeAll(async () => {
  s3 = await startS3();
  client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials, maxAttempts: 1 });
});

afterAll(async () => {
  client?.destroy();
  await s3?.stop();
});

function store(prefix: string, partBytes?: number): S3Store {
  return new S3Store({ endpoint: s3.endpoint, region: 'us-east-1', bucket: 'backups', prefix, forcePathStyle: true, credentials, requestTimeoutMs: 10_000, partBytes });
}

/** An upload as another process leaves it: initiated, one part sent, never completed. */
async function leave(key: string): Promise<void> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: 'backups', Key: key }));
  await client.send(new UploadPartCommand({ Bucket: 'backups', Key: key, UploadId, PartNumber: 1, Body: randomBytes(1024) }));
}

const hash = (first2 = 'ab') => `${first2}${randomBytes(31).toString('hex')}`;

describe('multipart uploads on S3', { timeout: 120_000 }, () => {
  it("the orphan abort takes only this service's keys under its prefix, across listing pages", async () => {
    const block = hash('ab');
    const own = ['node-a/volumes/v1/manifests/bk-20261206t000000z-01234567.json', 'node-a/volumes/v1/index.json', `node-a/volumes/v1/blocks/ab/${block}`];
    const foreign = [
      // Under the prefix, not this service's layout.
      'node-a/notes/todo.txt',
      'node-a/volumes/v1/manifests/report.json',
      `node-a/volumes/v1/blocks/cd/${block}`,
      'node-a/volumes/v1/index.json.bak',
      // Another prefix, one of them in this service's layout (another node's).
      'node-b/volumes/v1/index.json',
      'app/data.bin',
    ];
    for (const key of [...own, ...foreign]) await leave(key);
    expect(s3.uploads().length).toBe(own.length + foreign.length);
    // Two uploads a page: the abort follows the markers.
    s3.uploadsPageSize = 2;
    const a = store('node-a/');
    try {
      expect(await a.abortOrphanUploads(isLayoutKey)).toBe(own.length);
    } finally {
      await a.close();
    }
    expect(
      s3
        .uploads()
        .map((u) => u.key)
        .sort(),
    ).toEqual([...foreign].sort());
    expect(s3.requests.filter((r) => r.method === 'GET' && r.search.includes('uploads')).length).toBeGreaterThanOrEqual(2);

    // Prefix '': the listing is the whole bucket's; only this layout at the bucket's root goes.
    await leave('volumes/v2/index.json');
    await leave(`volumes/v2/blocks/${block.slice(0, 2)}/${block}`);
    const root = store('');
    try {
      expect(await root.abortOrphanUploads(isLayoutKey)).toBe(2);
    } finally {
      await root.close();
    }
    expect(
      s3
        .uploads()
        .map((u) => u.key)
        .sort(),
    ).toEqual([...foreign].sort());
    s3.uploadsPageSize = 1000;
  });

  it('a manifest larger than a part goes up in parts, leaves no upload behind and reads back whole', async () => {
    // S3's least part is 5 MiB; a manifest names ~75 bytes a block: 80,000 blocks (a 160 GiB volume) pass it.
    const count = 80_000;
    const blocks = Array.from({ length: count }, (_, i) => [i, randomBytes(32).toString('hex')] as const);
    const manifest = sealManifest({
      format: FORMAT_NAME,
      version: FORMAT_VERSION,
      id: 'bk-20261206t000000z-0a0b0c0d',
      volume: 'big',
      replica: 'big',
      snapshot: 'bk-20261206t000000z-0a0b0c0d',
      sizeBytes: count * BLOCK_BYTES,
      blockBytes: BLOCK_BYTES,
      compression: COMPRESSION,
      blocks,
      labels: {},
      createdAt: new Date().toISOString(),
    });
    const target = store('node-m/', 5 * MiB);
    try {
      const repository = new BackupRepository(target, { leaseMs: 30_000 });
      const before = s3.requests.length;
      await repository.writeManifest(manifest);
      const sent = s3.requests.slice(before).filter((r) => r.path.endsWith('/manifests/bk-20261206t000000z-0a0b0c0d.json'));
      expect(sent.filter((r) => r.method === 'POST' && r.search.includes('uploads')).length, JSON.stringify(sent)).toBe(1);
      expect(sent.filter((r) => r.method === 'PUT' && r.search.includes('partNumber')).length).toBeGreaterThanOrEqual(2);
      expect(s3.uploads().filter((u) => u.key.startsWith('node-m/'))).toEqual([]);
      const back = await repository.manifest('big', manifest.id);
      expect(back?.checksum).toBe(manifest.checksum);
      expect(back?.blocks.length).toBe(count);
    } finally {
      await target.close();
    }
  });
});
