/**
 * The backup format, version 1 (docs/backup-format.md is its description for other readers):
 * where each object lives under a target, a manifest's shape and checksum, and a block's encoding.
 * A volume's image is cut into fixed blocks of BLOCK_BYTES; a block that holds data is stored once
 * per volume under the SHA-256 of its uncompressed bytes, LZ4-frame compressed; a block absent
 * from a manifest's map reads as zeros.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ConductorError } from '../errors.js';
import { BlockWorkError, decodeFrameOffLoop, frameInSlotOffLoop, hashAndFrameInSlotOffLoop, sha256OffLoop } from './hash-pool.js';

export const FORMAT_NAME = 'spdk-conductor-backup';
export const FORMAT_VERSION = 1;
export const BLOCK_BYTES = 2 * 1024 * 1024;
export const COMPRESSION = 'lz4-frame';

/** One block of the map: its index (offset / blockBytes) and the SHA-256 (hex) of its uncompressed bytes. */
export type BlockEntry = readonly [index: number, sha256: string];

export interface Manifest {
  format: typeof FORMAT_NAME;
  version: typeof FORMAT_VERSION;
  id: string;
  volume: string;
  /** Where it was taken: the replica and its snapshot. */
  replica: string;
  snapshot: string;
  sizeBytes: number;
  blockBytes: number;
  compression: typeof COMPRESSION;
  /** Blocks holding data, by index ascending. */
  blocks: BlockEntry[];
  labels: Record<string, string>;
  createdAt: string;
  /** The backup whose map this one extended (a delta stage), if any. */
  base?: string;
  /** SHA-256 of the map (see mapDigest): with each block's own hash it fixes the whole image. */
  mapSha256: string;
  /** SHA-256 of this manifest's canonical JSON without this field. */
  checksum: string;
}

export const keys = {
  volumes: 'volumes/',
  volume: (volume: string) => `volumes/${volume}/`,
  manifests: (volume: string) => `volumes/${volume}/manifests/`,
  manifest: (volume: string, id: string) => `volumes/${volume}/manifests/${id}.json`,
  blocks: (volume: string) => `volumes/${volume}/blocks/`,
  block: (volume: string, hash: string) => `volumes/${volume}/blocks/${hash.slice(0, 2)}/${hash}`,
  index: (volume: string) => `volumes/${volume}/index.json`,
  inflight: (volume: string) => `volumes/${volume}/inflight/`,
  inflightMarker: (volume: string, job: string) => `volumes/${volume}/inflight/${job}.json`,
  sweeps: (volume: string) => `volumes/${volume}/sweep/`,
  sweepLease: (volume: string, id: string) => `volumes/${volume}/sweep/${id}.json`,
  /** Written, read back and deleted when a target is set (target-spec.ts probeStore). */
  probe: () => `probe/${randomBytes(8).toString('hex')}`,
};

/**
 * The keys this service writes under a target's prefix, and nothing else: what the orphan
 * multipart abort at start may touch (a bucket, or a prefix, may hold other writers' uploads).
 */
const LAYOUT_KEY =
  /^(?:volumes\/[A-Za-z0-9._@=+-]+\/(?:manifests\/bk-[0-9a-z-]+\.json|blocks\/([0-9a-f]{2})\/([0-9a-f]{64})|index\.json|inflight\/bk-[0-9a-z-]+\.json|sweep\/[0-9a-f]+\.json)|probe\/[0-9a-f]{16})$/;

export function isLayoutKey(key: string): boolean {
  const match = LAYOUT_KEY.exec(key);
  // A block lives under its hash's first two digits.
  return match !== null && (match[1] === undefined || match[2]!.startsWith(match[1]));
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** SHA-256 of a block, off the main loop (hash-pool.ts). */
export function blockSha256(data: Uint8Array): Promise<string> {
  return sha256OffLoop(data);
}

/** The map's digest: size, block size, then each entry as `index:hash\n`, in index order. */
export function mapDigest(sizeBytes: number, blockBytes: number, blocks: readonly BlockEntry[]): string {
  const hash = createHash('sha256').update(`${sizeBytes}/${blockBytes}\n`);
  for (const [index, sha] of blocks) hash.update(`${index}:${sha}\n`);
  return hash.digest('hex');
}

function canonical(manifest: Omit<Manifest, 'checksum'>): string {
  const { checksum: _ignored, ...rest } = manifest as Manifest;
  return JSON.stringify(rest, Object.keys(rest).sort());
}

export function sealManifest(manifest: Omit<Manifest, 'checksum' | 'mapSha256'>): Manifest {
  const withMap = { ...manifest, mapSha256: mapDigest(manifest.sizeBytes, manifest.blockBytes, manifest.blocks) };
  return { ...withMap, checksum: sha256(Buffer.from(canonical(withMap))) };
}

export function encodeManifest(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest)}\n`);
}

/** Parses and checks a manifest (format, version, checksum, map digest); BACKUP_CORRUPT otherwise. */
export function decodeManifest(where: string, bytes: Buffer): Manifest {
  const corrupt = (why: string): never => {
    throw new ConductorError('BACKUP_CORRUPT', `backup manifest ${where}: ${why}`, { where });
  };
  let parsed: Manifest;
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as Manifest;
  } catch {
    return corrupt('not JSON');
  }
  if (parsed?.format !== FORMAT_NAME) corrupt('not a backup manifest');
  if (parsed.version !== FORMAT_VERSION) corrupt(`format version ${String(parsed.version)}, this service reads ${FORMAT_VERSION}`);
  if (!Array.isArray(parsed.blocks) || typeof parsed.sizeBytes !== 'number' || typeof parsed.blockBytes !== 'number') corrupt('fields missing');
  if (sha256(Buffer.from(canonical(parsed))) !== parsed.checksum) corrupt('checksum mismatch');
  if (mapDigest(parsed.sizeBytes, parsed.blockBytes, parsed.blocks) !== parsed.mapSha256) corrupt('block map digest mismatch');
  return parsed;
}

/** A block's stored form, an LZ4 frame, made over the block in its own slot (the block at slot[headroom, headroom + length)) on a block thread. */
export function encodeBlock(slot: Buffer, headroom: number, length: number): Promise<Buffer> {
  return frameInSlotOffLoop(slot, headroom, length);
}

/** The block's SHA-256 and its stored form (encodeBlock), in one go on a block thread. */
export function hashAndEncodeBlock(slot: Buffer, headroom: number, length: number): Promise<{ hash: string; frame: Buffer }> {
  return hashAndFrameInSlotOffLoop(slot, headroom, length);
}

/**
 * A stored block (its frame, in a slot) back to its bytes, a view of the frame or of `out` where
 * it was compressed, checked against the hash its key names; BACKUP_CORRUPT otherwise.
 */
export async function decodeBlock(where: string, expectedSha: string, expectedLength: number, frame: Buffer, out: Buffer): Promise<Buffer> {
  let decoded: { data: Buffer; hash: string };
  try {
    decoded = await decodeFrameOffLoop(frame, out);
  } catch (err) {
    if (err instanceof BlockWorkError) throw new ConductorError('BACKUP_CORRUPT', `backup block ${where}: not an LZ4 frame of a block`, { where });
    throw err;
  }
  if (decoded.data.length !== expectedLength || decoded.hash !== expectedSha) throw new ConductorError('BACKUP_CORRUPT', `backup block ${where}: content does not match its SHA-256`, { where });
  return decoded.data;
}

/** A new backup id: sortable by time, unique without coordination. */
export function newBackupId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'z')
    .toLowerCase();
  return `bk-${stamp}-${randomBytes(4).toString('hex')}`;
}
