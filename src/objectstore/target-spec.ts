/**
 * A backup target as configured: what BackupTargetSet takes and the state file keeps. Secrets are
 * never part of it: S3 credentials are named by the files that hold them or the environment
 * variables, read when the client is made and held only by the SDK, so they reach no record, log,
 * error or answer. Opening a target checks it (openTarget: reachable, writable: a probe object is
 * put, read back and deleted) before anything uses it.
 */
import { type Credentials, type CredentialsProvider, fileCredentials } from './file-credentials.js';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { ConductorError } from '../errors.js';
import { keys } from './format.js';
import { FsStore, targetStatfs } from './fs-store.js';
import type { ObjectStore } from './object-store.js';

export interface FsTargetSpec {
  kind: 'fs';
  /** An absolute directory (e.g. an NFS mount); made if missing. */
  path: string;
}

export interface S3TargetSpec {
  kind: 's3';
  /** https://… or http://…; unset: AWS S3 of the region. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Keys are stored under it; '' or ending in '/'. */
  prefix: string;
  /** Path-style addressing (MinIO, Ceph RGW, a loopback test server). */
  forcePathStyle: boolean;
  /** PEM bundle of the CAs the endpoint's certificate is checked against. */
  caFile?: string;
  /** Files holding the access key id and the secret key (one line each). */
  accessKeyIdFile?: string;
  secretAccessKeyFile?: string;
  /** Or the environment variables that hold them. */
  accessKeyIdEnv?: string;
  secretAccessKeyEnv?: string;
}

export type TargetSpec = FsTargetSpec | S3TargetSpec;

export interface OpenOptions {
  /** How long one request may take before it counts as failed. */
  requestTimeoutMs: number;
  signal?: AbortSignal;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PSEUDO_FS = /^\/(proc|sys|dev)(\/|$)/;
const PREFIX = /^([A-Za-z0-9._@=+-]+\/)*$/;

function invalid(field: string, why: string): never {
  throw new ConductorError('BACKUP_TARGET_INVALID', `backup target ${field}: ${why}`, { field });
}

/** The spec, checked and normalised (prefix ends in '/'); refuses with BACKUP_TARGET_INVALID naming the field. */
export function checkTargetSpec(spec: TargetSpec): TargetSpec {
  if (spec.kind === 'fs') {
    if (!path.isAbsolute(spec.path) || spec.path.includes('\0')) invalid('path', 'must be an absolute directory path');
    const resolved = path.resolve(spec.path);
    // Kernel pseudo-filesystems hold no data, and a directory made under /proc hangs Node's mkdir.
    if (PSEUDO_FS.test(resolved)) invalid('path', `${resolved} is on a kernel pseudo-filesystem (/proc, /sys, /dev), not storage`);
    return { kind: 'fs', path: resolved };
  }
  if (spec.kind !== 's3') invalid('kind', 'must be fs or s3');
  if (!BUCKET.test(spec.bucket)) invalid('bucket', 'must be an S3 bucket name (3-63 of a-z, 0-9, dot, hyphen)');
  if (!/^[a-z0-9-]{1,32}$/.test(spec.region)) invalid('region', 'must be a region name such as us-east-1');
  const prefix = spec.prefix === '' || spec.prefix.endsWith('/') ? spec.prefix : `${spec.prefix}/`;
  if (!PREFIX.test(prefix)) invalid('prefix', 'must be segments of A-Z a-z 0-9 . _ @ = + - separated by /');
  if (spec.endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(spec.endpoint);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) invalid('endpoint', 'must be an http:// or https:// URL without credentials');
  }
  for (const field of ['caFile', 'accessKeyIdFile', 'secretAccessKeyFile'] as const) {
    const value = spec[field];
    if (value !== undefined && !path.isAbsolute(value)) invalid(field, 'must be an absolute file path');
  }
  for (const field of ['accessKeyIdEnv', 'secretAccessKeyEnv'] as const) {
    const value = spec[field];
    if (value !== undefined && !ENV_NAME.test(value)) invalid(field, 'must be an environment variable name');
  }
  const byFile = spec.accessKeyIdFile !== undefined || spec.secretAccessKeyFile !== undefined;
  const byEnv = spec.accessKeyIdEnv !== undefined || spec.secretAccessKeyEnv !== undefined;
  if (byFile && byEnv) invalid('credentials', 'give them by files or by environment names, not both');
  if (byFile && (spec.accessKeyIdFile === undefined || spec.secretAccessKeyFile === undefined)) invalid('credentials', 'both accessKeyIdFile and secretAccessKeyFile are needed');
  if (byEnv && (spec.accessKeyIdEnv === undefined || spec.secretAccessKeyEnv === undefined)) invalid('credentials', 'both accessKeyIdEnv and secretAccessKeyEnv are needed');
  const out: S3TargetSpec = { kind: 's3', region: spec.region, bucket: spec.bucket, prefix, forcePathStyle: spec.forcePathStyle };
  for (const field of ['endpoint', 'caFile', 'accessKeyIdFile', 'secretAccessKeyFile', 'accessKeyIdEnv', 'secretAccessKeyEnv'] as const) {
    const value = spec[field];
    if (value !== undefined) out[field] = value;
  }
  return out;
}

/**
 * statfs f_type of the filesystems that are kernel interfaces or memory, not storage
 * (linux/magic.h; configfs's and mqueue's from fs/configfs/mount.c and ipc/mqueue.c). /dev's
 * devtmpfs reads as tmpfs, as real tmpfs does, so /dev stays refused by its path alone.
 */
const PSEUDO_FS_TYPES: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xf97cff8c, 'selinuxfs'],
  [0x43415d53, 'smackfs'],
  [0x5a3c69f0, 'apparmorfs'],
  [0x62656570, 'configfs'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0xcafe4a11, 'bpf'],
  [0x42494e4d, 'binfmt_misc'],
  [0x6e736673, 'nsfs'],
  [0x7655821, 'resctrl'],
  [0x6c6f6f70, 'binderfs'],
  [0x19800202, 'mqueue'],
  [0x958458f6, 'hugetlbfs'],
]);

/**
 * Refuses an fs target on a kernel pseudo-filesystem wherever it is mounted (procfs bind-mounted
 * at /host/proc, a symlink into /sys): checkTargetSpec reads only the path's text, and making a
 * directory on procfs hangs Node's mkdir (it spins on ENOENT), so the probe would never answer.
 * Asks statfs of the directory, or while it does not exist of the nearest one above it that does
 * (symlinks followed): one call per missing level. Any other failure (EACCES, ENOTDIR) is left
 * to the probe, which names it. The statfs calls run in the target's lanes (fs-store.ts): on a hung
 * mount one does not return, and setting the same path again does not take another thread.
 */
export async function checkFsTargetStorage(dir: string, timeoutMs?: number): Promise<void> {
  for (let at = dir; ; at = path.dirname(at)) {
    let type: number;
    try {
      type = (await targetStatfs(dir, at, timeoutMs)).type >>> 0;
    } catch (err) {
      if (err instanceof ConductorError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && at !== path.dirname(at)) continue;
      return;
    }
    const kind = PSEUDO_FS_TYPES.get(type);
    if (kind === undefined) return;
    const real = await realpath(at).catch(() => at);
    invalid('path', `${dir} is on a kernel pseudo-filesystem (${kind}${real === at ? '' : `: ${at} is ${real}`}), not storage`);
  }
}

/** One line for logs and answers: where, never how it authenticates beyond the names. */
export function describeTarget(spec: TargetSpec): string {
  return spec.kind === 'fs' ? `file://${spec.path}` : `s3://${spec.bucket}/${spec.prefix}${spec.endpoint ? ` at ${spec.endpoint}` : ` in ${spec.region}`}`;
}

function readSecretFile(field: string, file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // The errno only: a secret file's content never reaches a message.
    return invalid(field, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const value = text.trim();
  if (value === '' || /\s/.test(value)) invalid(field, `${file} must hold one non-empty line`);
  return value;
}

function readSecretEnv(field: string, name: string): string {
  const value = process.env[name]?.trim();
  if (!value) invalid(field, `environment variable ${name} is not set`);
  return value;
}

/**
 * Makes the store of a checked spec (its client: one per target), without touching the network.
 * The S3 store, and with it the AWS SDK, is loaded only when an S3 target is made: a node without
 * one never pays the SDK's ~0.4 s of import at start or its ~5 MiB of heap (docs/architecture.md,
 * "Memory").
 */
export async function makeStore(spec: TargetSpec, options: Pick<OpenOptions, 'requestTimeoutMs'> & { onCredentials?: (event: { taken: boolean; reason: string }) => void }): Promise<ObjectStore> {
  if (spec.kind === 'fs') return new FsStore(spec.path, { callTimeoutMs: options.requestTimeoutMs });
  const { S3Store } = await import('./s3-store.js');
  let credentials: Credentials | CredentialsProvider | undefined;
  if (spec.accessKeyIdFile && spec.secretAccessKeyFile) {
    // Read now (a file that cannot be used refuses the target), then again whenever a file changes.
    const initial = { accessKeyId: readSecretFile('accessKeyIdFile', spec.accessKeyIdFile), secretAccessKey: readSecretFile('secretAccessKeyFile', spec.secretAccessKeyFile) };
    credentials = fileCredentials(spec.accessKeyIdFile, spec.secretAccessKeyFile, initial, options.onCredentials);
  } else if (spec.accessKeyIdEnv && spec.secretAccessKeyEnv) {
    credentials = { accessKeyId: readSecretEnv('accessKeyIdEnv', spec.accessKeyIdEnv), secretAccessKey: readSecretEnv('secretAccessKeyEnv', spec.secretAccessKeyEnv) };
  }
  let caPem: string | undefined;
  if (spec.caFile) {
    try {
      caPem = S3Store.readCa(spec.caFile);
    } catch (err) {
      invalid('caFile', `cannot read ${spec.caFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return new S3Store({
    endpoint: spec.endpoint,
    region: spec.region,
    bucket: spec.bucket,
    prefix: spec.prefix,
    forcePathStyle: spec.forcePathStyle,
    caPem,
    credentials,
    requestTimeoutMs: options.requestTimeoutMs,
  });
}

/**
 * Checks a store: a probe object is put, read back and deleted. Refuses with
 * BACKUP_TARGET_UNREACHABLE (no answer, a network error), BACKUP_TARGET_UNTRUSTED (a TLS
 * certificate that does not verify) or BACKUP_TARGET_NOT_WRITABLE (an answer that says no), the
 * target named, the underlying error's own words kept short.
 */
export async function probeStore(store: ObjectStore, signal?: AbortSignal): Promise<void> {
  const key = keys.probe();
  const body = randomBytes(32);
  let step = 'write';
  try {
    await store.put(key, body, signal);
    step = 'read';
    const back = await store.get(key, signal);
    if (!back?.equals(body)) throw new ConductorError('BACKUP_TARGET_NOT_WRITABLE', `backup target ${store.description}: a probe object read back differs from what was written`);
    step = 'delete';
    await store.delete(key, signal);
  } catch (err) {
    if (err instanceof ConductorError) throw err;
    throw targetError(store.description, `probe ${step}`, err);
  }
}

/** Node's (OpenSSL's) codes of a peer certificate that does not verify: the endpoint answered, but is not trusted. */
const UNTRUSTED_CERT = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** S3's answers that refuse the request's credentials (not the bucket or the object). */
const CREDENTIALS_REFUSED = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired']);
const CREDENTIALS_ADVICE =
  "; the target refused this node's credentials: check the access key id and secret (files named by accessKeyIdFile/secretAccessKeyFile are read again when they change; the environment only at BackupTargetSet or start)";

/**
 * A store call's failure in stable codes: no answer is UNREACHABLE, an answer that refuses is
 * NOT_WRITABLE, a TLS certificate that does not verify is UNTRUSTED (the caFile is the fix, not
 * the network).
 */
export function targetError(description: string, what: string, err: unknown): ConductorError {
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const words = (e.message ?? String(err)).replace(/\s+/g, ' ').slice(0, 200);
  if (e.code !== undefined && UNTRUSTED_CERT.has(e.code)) {
    return new ConductorError(
      'BACKUP_TARGET_UNTRUSTED',
      `backup target ${description}: ${what} failed: its TLS certificate is not trusted (${e.code}: ${words}); give the CA that issued it as caFile`,
      { target: description, errno: e.code },
      { cause: err },
    );
  }
  const refused =
    (status !== undefined && status >= 400 && status < 500) || e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS' || e.code === 'ENOSPC' || e.code === 'ENOTDIR' || e.code === 'EEXIST';
  const advice = e.name !== undefined && CREDENTIALS_REFUSED.has(e.name) ? CREDENTIALS_ADVICE : '';
  return new ConductorError(
    refused ? 'BACKUP_TARGET_NOT_WRITABLE' : 'BACKUP_TARGET_UNREACHABLE',
    `backup target ${description}: ${what} failed: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${words}${advice}`,
    { target: description, status, errno: e.code },
    { cause: err },
  );
}
