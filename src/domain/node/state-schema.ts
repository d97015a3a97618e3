/**
 * The state file's format: a JSON Schema per version, checked with ajv before anything is taken
 * from the file, and the migrations from every older version to the current one. A file that does
 * not match is refused with the JSON path of its first bad key and left exactly as it is: it may
 * hold the only record of labels and intents, so it is never rewritten on a guess.
 *
 * Version 1 held engines, snapshot metadata and intents. Version 2 adds what spdk_tgt forgets when
 * it restarts: disks and exports.
 */
import { fileURLToPath } from 'node:url';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import type { Logger } from 'pino';
import { type GeneratedSet, openGenerated, validatorsDigest } from '../../validation/generated-validators.js';
import { newAjv } from '../../validation/json-schema.js';
import type { ValidatorSet } from '../../validation/standalone-build.js';
import { ConductorError } from '../../errors.js';

export const STATE_VERSION = 2;

const nonEmpty = { type: 'string', minLength: 1 } as const;
const count = { type: 'integer', minimum: 0 } as const;
const port = { type: 'integer', minimum: 1, maximum: 65_535 } as const;
const stringList = { type: 'array', items: nonEmpty } as const;
const numbers = (fields: readonly string[]) => ({ type: 'object', properties: Object.fromEntries(fields.map((f) => [f, { type: 'number' }])), additionalProperties: false }) as const;

export const SNAPSHOT_META_SCHEMA = {
  type: 'object',
  properties: { createdAt: nonEmpty, labels: { type: 'object', additionalProperties: { type: 'string' } }, userCreated: { type: 'boolean' }, deletePending: { type: 'boolean' } },
  required: ['createdAt', 'labels', 'userCreated'],
  additionalProperties: false,
} as const;

/** A replica ReplicaClone (domain/replica/clones.ts) or a restore (domain/backup/restore-sink.ts) made here and no engine has used since. */
export const CLONE_RECORD_SCHEMA = {
  type: 'object',
  properties: {
    source: nonEmpty,
    snapshot: nonEmpty,
    mode: { enum: ['linked', 'full', 'restore'] },
    createdAt: nonEmpty,
  },
  required: ['source', 'snapshot', 'mode', 'createdAt'],
  additionalProperties: false,
} as const;

/** A shallow copy this service started in spdk_tgt (see StateData.copies). */
export const COPY_RECORD_SCHEMA = {
  type: 'object',
  properties: {
    disk: nonEmpty,
    lvol: nonEmpty,
    holder: nonEmpty,
    dst: nonEmpty,
    operation: { type: 'integer', minimum: 0 },
    startedAtMs: { type: 'integer', minimum: 0 },
  },
  required: ['disk', 'lvol', 'holder', 'dst', 'startedAtMs'],
  additionalProperties: false,
} as const;

export const VOLUME_SNAPSHOT_SCHEMA = {
  type: 'object',
  properties: {
    createdAt: nonEmpty,
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    members: { type: 'array', items: nonEmpty },
    state: { enum: ['creating', 'ready', 'deleting'] },
    identical: { type: 'array', items: nonEmpty },
  },
  required: ['createdAt', 'labels', 'members', 'state', 'identical'],
  additionalProperties: false,
} as const;

export const INTENT_SCHEMA = {
  type: 'object',
  discriminator: { propertyName: 'op' },
  properties: { op: { type: 'string' } },
  required: ['op'],
  oneOf: [
    { properties: { op: { const: 'replica-delete' }, replica: nonEmpty, disk: nonEmpty }, required: ['replica', 'disk'], additionalProperties: false },
    { properties: { op: { const: 'snapshot-revert' }, replica: nonEmpty, disk: nonEmpty, snapshot: nonEmpty }, required: ['replica', 'disk', 'snapshot'], additionalProperties: false },
    { properties: { op: { const: 'replica-expose' }, replica: nonEmpty, hostNqns: stringList, port }, required: ['replica', 'hostNqns', 'port'], additionalProperties: false },
  ],
} as const;

export const REBUILD_VIEW_SCHEMA = {
  type: 'object',
  properties: {
    path: { enum: ['snapshot-preserving', 'raid'] },
    pathReason: { type: 'string' },
    source: { type: 'string' },
    snapshots: {
      type: 'array',
      items: {
        type: 'object',
        properties: { name: nonEmpty, state: { enum: ['pending', 'copying', 'copied', 'skipped'] }, copiedClusters: count, totalClusters: count },
        required: ['name', 'state', 'copiedClusters', 'totalClusters'],
        additionalProperties: false,
      },
    },
    raidBaseBytes: count,
    bytesDone: count,
    bytesTotal: count,
    percent: { type: 'integer', minimum: 0, maximum: 100 },
  },
  required: ['path', 'pathReason', 'source', 'snapshots', 'raidBaseBytes', 'bytesDone', 'bytesTotal', 'percent'],
  additionalProperties: false,
} as const;

export const REBUILD_RECORD_SCHEMA = {
  type: 'object',
  properties: { createdAtMs: count, phase: { enum: ['queued', 'copying-snapshots', 'rebuilding'] }, view: REBUILD_VIEW_SCHEMA },
  required: ['createdAtMs', 'phase'],
  additionalProperties: false,
} as const;

/**
 * Names of keys in spdk_tgt's keyring, never key material: a DH-HMAC-CHAP secret (`DHHC-1:…`) or
 * a TLS PSK (`NVMeTLSkey-1:…`) has colons, which no name here may have.
 */
const keyName = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,128}$' } as const;

/** A remote member's keys (domain/node/keys.ts), by role. */
const memberKeys = {
  type: 'object',
  properties: { dhchapKey: keyName, dhchapCtrlrKey: keyName, psk: keyName },
  additionalProperties: false,
} as const;

export const ENGINE_SPEC_SCHEMA = {
  type: 'object',
  properties: {
    name: nonEmpty,
    sizeBytes: count,
    replicas: {
      type: 'array',
      items: {
        type: 'object',
        discriminator: { propertyName: 'kind' },
        properties: { kind: { type: 'string' } },
        required: ['kind'],
        oneOf: [
          { properties: { kind: { const: 'local' }, name: nonEmpty }, required: ['name'], additionalProperties: false },
          {
            properties: { kind: { const: 'remote' }, name: nonEmpty, address: nonEmpty, port, nqn: nonEmpty, apiAddress: nonEmpty, keys: memberKeys },
            required: ['name', 'address', 'port', 'nqn'],
            additionalProperties: false,
          },
        ],
      },
    },
    frontend: { enum: ['nvme-host', 'export-only'] },
    hostNqns: stringList,
    port: { type: 'integer', minimum: 0, maximum: 65_535 },
    timeouts: {
      type: 'object',
      properties: {
        host: numbers(['ctrlLossTmoSec', 'reconnectDelaySec', 'keepAliveTmoSec', 'ioTimeoutSec']),
        replica: numbers(['reconnectDelaySec', 'fastIoFailTimeoutSec', 'ctrlrLossTimeoutSec', 'keepAliveTimeoutMs', 'transportAckTimeout']),
      },
      additionalProperties: false,
    },
    creating: { type: 'boolean' },
    superblock: { type: 'boolean' },
    out: stringList,
    salvage: {
      type: 'object',
      properties: {
        source: nonEmpty,
        rule: { enum: ['explicit', 'written', 'record', 'superblock', 'snapshots', 'order'] },
        reason: { type: 'string' },
        decidedAtMs: count,
        members: {
          type: 'array',
          items: {
            type: 'object',
            properties: { replica: nonEmpty, verdict: { enum: ['source', 'rebuilt'] }, reason: { type: 'string' } },
            required: ['replica', 'verdict', 'reason'],
            additionalProperties: false,
          },
        },
      },
      required: ['source', 'rule', 'reason', 'decidedAtMs', 'members'],
      additionalProperties: false,
    },
    rebuilding: { type: 'object', additionalProperties: REBUILD_RECORD_SCHEMA },
    volumeSnapshots: { type: 'object', additionalProperties: VOLUME_SNAPSHOT_SCHEMA },
    qos: {
      type: 'object',
      properties: { rwIosPerSec: count, rwMbytesPerSec: count, rMbytesPerSec: count, wMbytesPerSec: count },
      required: ['rwIosPerSec', 'rwMbytesPerSec', 'rMbytesPerSec', 'wMbytesPerSec'],
      additionalProperties: false,
    },
    expanding: {
      type: 'object',
      properties: { sizeBytes: count, startedAtMs: count, grown: { type: 'object', additionalProperties: count } },
      required: ['sizeBytes', 'startedAtMs', 'grown'],
      additionalProperties: false,
    },
    reverting: {
      type: 'object',
      properties: { snapshot: nonEmpty, source: nonEmpty, startedAtMs: count, phase: { enum: ['recorded', 'down', 'reverted', 'raid', 'exported'] } },
      required: ['snapshot', 'source', 'startedAtMs', 'phase'],
      additionalProperties: false,
    },
  },
  required: ['name', 'sizeBytes', 'replicas', 'frontend', 'hostNqns', 'port'],
  additionalProperties: false,
} as const;

export const DISK_INTENT_SCHEMA = {
  type: 'object',
  properties: { name: nonEmpty, kind: { enum: ['aio', 'nvme'] }, path: nonEmpty, lvstoreUuid: nonEmpty, clusterSize: count, blockSize: count },
  required: ['name', 'kind', 'path', 'lvstoreUuid', 'clusterSize'],
  additionalProperties: false,
} as const;

export const EXPORT_INTENT_SCHEMA = {
  type: 'object',
  properties: {
    replica: nonEmpty,
    hostNqns: stringList,
    address: nonEmpty,
    port,
    security: {
      type: 'object',
      properties: { hosts: { type: 'object', additionalProperties: { type: 'object', additionalProperties: keyName } } },
      additionalProperties: false,
    },
  },
  required: ['replica', 'hostNqns', 'address', 'port'],
  additionalProperties: false,
} as const;

/** A backup or restore job in flight (domain/backup/jobs.ts): the next start resumes or fails it. */
export const BACKUP_JOB_SCHEMA = {
  type: 'object',
  properties: {
    kind: { enum: ['backup', 'restore'] },
    volume: nonEmpty,
    replica: nonEmpty,
    snapshot: nonEmpty,
    backupId: nonEmpty,
    disk: nonEmpty,
    engine: nonEmpty,
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    state: { enum: ['queued', 'staging', 'uploading', 'downloading', 'committing'] },
    createdAtMs: count,
  },
  required: ['kind', 'volume', 'replica', 'backupId', 'state', 'createdAtMs'],
  additionalProperties: false,
} as const;

/**
 * A volume whose blocks in the backup target await a sweep (domain/backup/jobs-sweeps.ts): a
 * delete's deferred sweep, or a failed or cancelled backup's blocks no manifest names.
 */
export const BACKUP_SWEEP_SCHEMA = {
  type: 'object',
  properties: { reason: nonEmpty, sinceMs: count },
  required: ['reason', 'sinceMs'],
  additionalProperties: false,
} as const;

/** The backup target (objectstore/target-spec.ts): secrets only by file path or environment name. */
export const BACKUP_TARGET_SCHEMA = {
  type: 'object',
  properties: {
    kind: { enum: ['fs', 's3'] },
    path: nonEmpty,
    endpoint: nonEmpty,
    region: nonEmpty,
    bucket: nonEmpty,
    prefix: { type: 'string' },
    forcePathStyle: { type: 'boolean' },
    caFile: nonEmpty,
    accessKeyIdFile: nonEmpty,
    secretAccessKeyFile: nonEmpty,
    accessKeyIdEnv: nonEmpty,
    secretAccessKeyEnv: nonEmpty,
  },
  required: ['kind'],
  additionalProperties: false,
} as const;

const TABLES_V1 = {
  engines: { type: 'object', additionalProperties: ENGINE_SPEC_SCHEMA },
  snapshots: { type: 'object', additionalProperties: SNAPSHOT_META_SCHEMA },
  intents: { type: 'object', additionalProperties: INTENT_SCHEMA },
} as const;

export const STATE_SCHEMA = {
  type: 'object',
  properties: {
    version: { const: STATE_VERSION },
    disks: { type: 'object', additionalProperties: DISK_INTENT_SCHEMA },
    exports: { type: 'object', additionalProperties: EXPORT_INTENT_SCHEMA },
    ...TABLES_V1,
    // Who holds which keyring key (domain/node/keys.ts): user → role → key name.
    keyUsers: { type: 'object', additionalProperties: { type: 'object', additionalProperties: keyName } },
    // Optional: files written before backups existed have neither.
    backupJobs: { type: 'object', additionalProperties: BACKUP_JOB_SCHEMA },
    backupTarget: BACKUP_TARGET_SCHEMA,
    // Optional: volumes whose unreferenced backup blocks await a sweep (see StateFile.putBackupSweep).
    backupSweeps: { type: 'object', additionalProperties: BACKUP_SWEEP_SCHEMA },
    // Optional: the ports of deleted engines and exports, by `engine/NAME` or `export/REPLICA` (see StateFile.keepPort).
    keptPorts: { type: 'object', additionalProperties: port },
    // Optional: fresh clones by replica name (see StateFile.recordClone).
    clones: { type: 'object', additionalProperties: CLONE_RECORD_SCHEMA },
    // Optional: shallow copies started in spdk_tgt and not reported ended, by destination bdev (see StateFile.putCopy).
    copies: { type: 'object', additionalProperties: COPY_RECORD_SCHEMA },
  },
  required: ['version', 'disks', 'exports', 'engines', 'snapshots', 'intents'],
  additionalProperties: false,
} as const;

/** Version 1 had no required tables: a missing one was empty. */
const STATE_SCHEMA_V1 = {
  type: 'object',
  properties: { version: { const: 1 }, ...TABLES_V1 },
  required: ['version'],
  additionalProperties: false,
} as const;

/** How the state schemas are compiled, at runtime and by the build alike. allErrors off: the first bad key is the one reported. */
const STATE_AJV_OPTIONS: Options = { allErrors: false, discriminator: true };

const SCHEMAS: Readonly<Record<StateModule, object>> = { v1: STATE_SCHEMA_V1, v2: STATE_SCHEMA };

type StateModule = 'v1' | 'v2';

/** Where the build writes the state schemas' generated validators: beside this module, in dist/. */
export function generatedStateDir(): string {
  return fileURLToPath(new URL('./state-validators', import.meta.url));
}

function stateDigest(): string {
  return validatorsDigest(STATE_AJV_OPTIONS, [JSON.stringify(SCHEMAS)]);
}

/** What the build generates: one module per version, its validator exported as `validate`. */
export function stateValidatorSet(): ValidatorSet {
  return { digest: stateDigest(), options: STATE_AJV_OPTIONS, modules: { v1: { validate: STATE_SCHEMA_V1 }, v2: { validate: STATE_SCHEMA } } };
}

export interface StateCheckOptions {
  /** The generated validators to use when they were made from these schemas (default: generatedStateDir()); false compiles. */
  generated?: string | false;
  /** Told once, at debug, why a schema was compiled rather than loaded. */
  log?: Logger;
}

export type StateCheck = (file: string, parsed: unknown) => unknown;

/**
 * checkAndMigrate with its validators from `options`. A start reads the state file and checks
 * only the version it has: its validator from the build's generated ones when they were made from
 * these schemas, otherwise compiled on first use (a few hundred ms under load).
 */
export function stateCheck(options: StateCheckOptions = {}): StateCheck {
  const compiled = new Map<StateModule, ValidateFunction>();
  let generated: GeneratedSet | { reason: string } | undefined;
  const validator = (version: 1 | typeof STATE_VERSION): ValidateFunction => {
    const name: StateModule = version === 1 ? 'v1' : 'v2';
    let validate = compiled.get(name);
    if (!validate) {
      generated ??= options.generated === false ? { reason: 'asked to compile them' } : openGenerated(options.generated ?? generatedStateDir(), stateDigest());
      const module = 'reason' in generated ? undefined : generated.module(name);
      if (typeof module?.validate === 'function') {
        validate = module.validate;
      } else {
        const reason = 'reason' in generated ? generated.reason : `the generated ${name} validator is gone or from another build`;
        options.log?.debug({ reason, version }, 'state file schema: compiling it');
        validate = newAjv(STATE_AJV_OPTIONS).compile(SCHEMAS[name]);
      }
      compiled.set(name, validate);
    }
    return validate;
  };
  return (file, parsed) => {
    const refuse = (why: string): never => {
      throw new ConductorError('STATE_FILE_UNREADABLE', `the state file ${file} is not valid: ${why}; it was left untouched: fix it, or move it aside to start without it`);
    };
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return refuse('$ must be an object');
    const version = (parsed as { version?: unknown }).version;
    if (typeof version === 'number' && Number.isInteger(version) && version > STATE_VERSION) {
      return refuse(`$.version is ${version}, written by a newer spdk-conductor (this one reads versions 1 to ${STATE_VERSION})`);
    }
    if (version === 1) {
      const v1 = validator(1);
      if (!v1(parsed)) return refuse(describe(v1.errors?.[0]));
      const old = parsed as { engines?: object; snapshots?: object; intents?: object };
      return { version: STATE_VERSION, disks: {}, exports: {}, engines: old.engines ?? {}, snapshots: old.snapshots ?? {}, intents: old.intents ?? {} };
    }
    const current = validator(STATE_VERSION);
    if (!current(parsed)) return refuse(describe(current.errors?.[0]));
    return structuredClone(parsed);
  };
}

let defaultCheck: StateCheck | undefined;

/**
 * Checks a parsed state file of any known version and returns it in the current version's shape
 * (a new object: `parsed` is not changed). Throws STATE_FILE_UNREADABLE naming `file` and the JSON
 * path of the first bad key. `log` (the first caller's) hears why a schema was compiled.
 */
export function checkAndMigrate(file: string, parsed: unknown, log?: Logger): unknown {
  defaultCheck ??= stateCheck({ log });
  return defaultCheck(file, parsed);
}

/** `$.engines["e-1"].replicas[0].port must be integer`: the key that is wrong, then why. */
function describe(error: ErrorObject | undefined): string {
  if (!error) return '$ does not match the schema';
  const segments = error.instancePath === '' ? [] : error.instancePath.slice(1).split('/').map(unescapePointer);
  const params = error.params as { additionalProperty?: string; missingProperty?: string; allowedValues?: unknown[]; allowedValue?: unknown; tag?: string; tagValue?: unknown };
  if (error.keyword === 'additionalProperties' && params.additionalProperty !== undefined) return `${jsonPath([...segments, params.additionalProperty])} is not a known key`;
  if (error.keyword === 'required' && params.missingProperty !== undefined) return `${jsonPath([...segments, params.missingProperty])} is missing`;
  if (error.keyword === 'discriminator') return `${jsonPath([...segments, params.tag ?? ''])} has an unknown value ${JSON.stringify(params.tagValue)}`;
  if (error.keyword === 'const') return `${jsonPath(segments)} must be ${JSON.stringify(params.allowedValue)}`;
  if (error.keyword === 'enum') return `${jsonPath(segments)} must be one of ${(params.allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
  return `${jsonPath(segments)} ${error.message ?? 'is not valid'}`;
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

function jsonPath(segments: readonly string[]): string {
  return `$${segments.map((s) => (/^\d+$/.test(s) ? `[${s}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`)).join('')}`;
}
