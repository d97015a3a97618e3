/**
 * The per-volume index when two backups of one volume end at once, against s3rver on loopback:
 * each rewrites the index from the manifests it lists, so the one that listed first and wrote
 * last would leave an index without the other's backup. The test orders it so: the first
 * backup's index PUT is held until the second's index is written.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BLOCK_BYTES, COMPRESSION, FORMAT_NAME, FORMAT_VERSION, type Manifest, sealManifest } from '../../src/objectstore/format.js';
import { BackupRepository } from '../../src/objectstore/repository.js';
import { S3Store } from '../../src/objectstore/s3-store.js';
import { until } from '../helpers/until.js';
import { startS3, type TestS3 } from './helpers/s3-server.js';

let s3: TestS3;
let store: S3Store;

beforeAll(async () => {
  s3 = await startS3();
  store = new S3Store({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: 'backups',
    prefix: 'race/',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestTimeoutMs: 10_000,
  });
});

afterAll(async () => {
  await store?.close();
  await s3?.stop();
});

function manifest(id: string): Manifest {
  return sealManifest({
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    id,
    volume: 'v',
    replica: 'r',
    snapshot: id.slice(-4),
    sizeBytes: 4 * BLOCK_BYTES,
    blockBytes: BLOCK_BYTES,
    compression: COMPRESSION,
    blocks: [],
    labels: {},
    createdAt: new Date().toISOString(),
  });
}

it('two backups ending at once both end up in the index, whichever index write lands last', { timeout: 60_000 }, async () => {
  const repository = new BackupRepository(store, { leaseMs: 30_000 });
  const a = manifest('bk-20261206t000000z-0000000a');
  const b = manifest('bk-20261206t000000z-0000000b');
  let heldFirst = false;
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  // The first index PUT (a's, which listed only a) waits until b's index is written.
  s3.gate = async (r) => {
    if (r.method !== 'PUT' || !r.path.endsWith('/volumes/v/index.json') || heldFirst) return;
    heldFirst = true;
    await released;
  };
  const first = repository.writeManifest(a);
  await until("a's index write held", () => heldFirst);
  await repository.writeManifest(b);
  release();
  await first;
  s3.gate = undefined;
  const index = JSON.parse((await store.get('volumes/v/index.json'))!.toString('utf8')) as { backups: Array<{ id: string }> };
  expect(index.backups.map((x) => x.id)).toEqual([a.id, b.id]);
});
