/**
 * Every error the service raises, with stable string codes. Callers branch on `code` (or its
 * `kind`), never on message text. Each code belongs to one kind, a domain-neutral class of failure
 * that the gRPC edge (src/api/status.ts) maps to a status; nothing below the edge knows gRPC, and
 * the edge knows nothing of SPDK. The code travels to clients in the `conductor-error-code`
 * trailer and the CLI prints it.
 *
 * Codes are an interface: add new ones freely, never rename or reuse one.
 */

export type ErrorKind =
  | 'invalid-argument'
  | 'not-found'
  | 'already-exists'
  | 'failed-precondition'
  | 'resource-exhausted'
  | 'unavailable'
  | 'deadline-exceeded'
  | 'aborted'
  | 'internal'
  /** spdk_tgt refused in its own words and the domain had nothing to add: the error space is foreign. */
  | 'unknown';

/** The catalogue: each code, its kind, what it means and what the caller should do. */
export const ERROR_CODES = {
  // invalid-argument: the request is malformed; fix it and send it again. Nothing was changed.
  /** A malformed field no more specific code covers; the message names the field. */
  INVALID_ARGUMENT: 'invalid-argument',
  /** The request's bytes do not decode as its protobuf message (truncated, a wrong wire type, a number wider than its field); send a well-formed message. */
  MALFORMED_REQUEST: 'invalid-argument',
  /** A disk, replica, snapshot or volume name is missing or breaks the name rule (src/validation/names.ts). */
  INVALID_NAME: 'invalid-argument',
  /** A host or subsystem NQN is missing, malformed, listed twice, or a required host list is empty. */
  INVALID_NQN: 'invalid-argument',
  /** A size is not a positive whole number of bytes, not aligned, larger than the disk, or shrinks a replica. */
  INVALID_SIZE: 'invalid-argument',
  /** An address or TCP port is malformed (replica export, peer API, copy target). */
  INVALID_ADDRESS: 'invalid-argument',
  /** A disk's path or PCIe address is malformed. */
  INVALID_PATH: 'invalid-argument',
  /** Snapshot labels break the label rule. */
  INVALID_LABELS: 'invalid-argument',
  /** An engine's timeout override breaks the timeout budget; the message names the rule and the numbers. */
  INVALID_TIMEOUTS: 'invalid-argument',
  /** A DH-HMAC-CHAP secret or TLS PSK is malformed (format, hash, length, CRC-32) or a ctrlr key comes alone; the message names the field, never the secret. */
  INVALID_SECRET: 'invalid-argument',
  /** A backup target's spec is malformed (kind, bucket, prefix, a credential given other than by file or environment name); the message names the field. */
  BACKUP_TARGET_INVALID: 'invalid-argument',
  /** A List's page_token is not one this List gave with the same request (or is damaged); start again without one. */
  INVALID_PAGE_TOKEN: 'invalid-argument',

  // not-found: the object named does not exist on this node; check the name (the List calls show them).
  /** Peers only: the peer said NOT_FOUND without a code this service knows. */
  NOT_FOUND: 'not-found',
  /** No disk of that name; DiskList shows the disks. */
  DISK_NOT_FOUND: 'not-found',
  /** No replica of that name; ReplicaList shows the replicas. */
  REPLICA_NOT_FOUND: 'not-found',
  /** The replica has no snapshot of that name; SnapshotList shows its snapshots. */
  SNAPSHOT_NOT_FOUND: 'not-found',
  /** The engine does not exist, or was deleted while the operation ran. */
  ENGINE_NOT_FOUND: 'not-found',
  /** No rebuild of that replica into that engine (it may have finished); RebuildList shows them. */
  REBUILD_NOT_FOUND: 'not-found',
  /** The replica is not a member of that engine (EngineReplicaList shows its members). */
  ENGINE_MEMBER_NOT_FOUND: 'not-found',
  /** No backup of that id in the target (BackupList shows them). */
  BACKUP_NOT_FOUND: 'not-found',
  /** No backup or restore job of that id on this node (BackupList shows jobs; finished ones are kept for a while). */
  BACKUP_JOB_NOT_FOUND: 'not-found',
  /** The engine has no volume snapshot of that name; EngineSnapshotList shows them. */
  VOLUME_SNAPSHOT_NOT_FOUND: 'not-found',

  // already-exists: an object of that name exists and differs from the request; delete it or use another name.
  /** Peers only: the peer said ALREADY_EXISTS without a code this service knows. */
  ALREADY_EXISTS: 'already-exists',
  /** The disk (or its bdev in spdk_tgt) exists on another device. */
  DISK_EXISTS: 'already-exists',
  /** The replica (or its lvol) exists with another disk or size. */
  REPLICA_EXISTS: 'already-exists',
  /** The snapshot exists with other labels. */
  SNAPSHOT_EXISTS: 'already-exists',
  /** The engine exists with another configuration; delete it first. */
  ENGINE_EXISTS: 'already-exists',
  /** The engine has a member of that name at another address. */
  ENGINE_MEMBER_EXISTS: 'already-exists',
  /** nvme-cli: the host is already connected to that target (the service treats it as success). */
  NVME_ALREADY_CONNECTED: 'already-exists',

  // failed-precondition: the request is well formed but the node's state does not allow it; change the state first.
  /** Peers only: the peer said FAILED_PRECONDITION without a code this service knows. */
  FAILED_PRECONDITION: 'failed-precondition',
  /** The disk holds replicas, or exposed replicas when wiping; delete or unexpose them first. */
  DISK_IN_USE: 'failed-precondition',
  /** spdk_tgt cannot use the device (missing, a directory, unopenable, a foreign lvstore); check the node. */
  DISK_UNUSABLE: 'failed-precondition',
  /** The replica is exposed and the operation would change its data under an engine; unexpose it first. */
  REPLICA_EXPOSED: 'failed-precondition',
  /** The snapshot has more than one child, so SPDK cannot merge it away. */
  SNAPSHOT_HAS_CHILDREN: 'failed-precondition',
  /** A snapshot of that name is being deleted: a copy (a backup's stage, a rebuild) still reads it and spdk_tgt deletes it when the copy ends (the message says whose and how far); create it after that, or choose another name. */
  SNAPSHOT_DELETE_PENDING: 'failed-precondition',
  /** The engine's raid is missing in spdk_tgt; delete and re-create the engine. */
  ENGINE_BROKEN: 'failed-precondition',
  /** The engine's raid has no free member slot (counting rebuilds already waiting); remove a member first. */
  RAID_NO_FREE_SLOT: 'failed-precondition',
  /** nvme-cli, the nvme-tcp module or the host's nvme parameters are missing here; install or load them, or use export-only. */
  HOST_NVME_UNAVAILABLE: 'failed-precondition',
  /** An attach with DH-HMAC-CHAP or TLS keys was refused by the replica's target (-5): a wrong key, keys the export lacks, or this host not allowed; fix the keys, then retry. */
  NVME_AUTH_FAILED: 'failed-precondition',
  /** Another controller here is attached to the same target as the same host, so spdk_tgt checked nothing, keys included (-17); detach it first. */
  NVME_PATH_IN_USE: 'failed-precondition',
  /** The source named for an engine's salvage carries an older raid superblock than another member: spdk_tgt assembles the raid from the newest and refuses the older one to any other raid; create without a source, or with one of the members named. */
  SALVAGE_SOURCE_STALE: 'failed-precondition',
  /** The export's listener is TLS and the request gives a host no psk, or the other way round; unexpose it first to change that. */
  EXPORT_TLS_MISMATCH: 'failed-precondition',
  /** The API's Unix socket path is taken (not a socket, or another service listens); choose another or stop the other. */
  API_SOCKET_IN_USE: 'failed-precondition',
  /** The replica is a member of a local engine or has hosts connected to its export (the message names them); remove it from the engine or disconnect them first, or pass force. */
  REPLICA_IN_USE: 'failed-precondition',
  /** The replica is already in another engine's raid (the message names it); remove it there first. */
  REPLICA_CLAIMED: 'failed-precondition',
  /** A volume snapshot of that name is being made or deleted, or a member already has a snapshot of that name that is not the volume's; wait, or choose another name. */
  VOLUME_SNAPSHOT_CONFLICT: 'failed-precondition',
  /** A member the volume operation must reach through its node's API has no api_address (or the engine has no member in sync); add the member again with one. */
  MEMBER_NOT_REACHABLE_BY_API: 'failed-precondition',
  /** The device holds data this service did not write (a filesystem, partition table, foreign lvstore or other bytes; the message says what and where); pass wipe to destroy it. */
  DISK_NOT_EMPTY: 'failed-precondition',
  /** The disk path resolves outside disk.allowedPrefixes; use a path under them or widen the setting. */
  DISK_PATH_NOT_ALLOWED: 'failed-precondition',
  /** Another running service holds the state directory's lock (at start: exit 2); the message names its pid. Stop it, or give this one another state.file. */
  STATE_DIR_LOCKED: 'failed-precondition',
  /** spdk_tgt refused (EPERM): a bdev the operation needs is claimed by another object (an engine's raid, an export, an lvstore); release it first. */
  BDEV_CLAIMED: 'failed-precondition',
  /** The state file's filesystem is read-only (EROFS); remount it writable or move state.file, then retry. */
  STATE_FILE_READ_ONLY: 'failed-precondition',
  /** ReplicaExpose of an exposed replica with another host list and no mode; say ADD or REPLACE. */
  EXPOSE_MODE_REQUIRED: 'failed-precondition',
  /** The backup target refused the probe write or read (permissions, bucket missing, read-only mount); fix the target, then set it again. */
  BACKUP_TARGET_NOT_WRITABLE: 'failed-precondition',
  /** The backup target's TLS certificate is not trusted (another CA than the target's caFile, or no caFile for a private CA; expired; another host's name); fix caFile or the certificate, then set it again. */
  BACKUP_TARGET_UNTRUSTED: 'failed-precondition',
  /** The backup is being restored from or written by a running job; cancel it or wait, then retry. */
  BACKUP_IN_USE: 'failed-precondition',
  /** A backup of an engine's volume found no member on this node whose snapshot it can stage (members elsewhere, or none in sync); back up on a member's node (BackupCreate with that replica and the volume snapshot), or wait for a rebuild. Nothing was changed. */
  BACKUP_NO_LOCAL_MEMBER: 'failed-precondition',
  /** SpdkCall of a method that may change spdk_tgt's state, without allow_mutating: nothing was sent. Pass it when you mean to change state under the service. */
  SPDK_CALL_MUTATING: 'failed-precondition',
  /** The engine cannot grow now: a member is not healthy or is being rebuilt, a remote member has no api_address and is too small, or an expansion to another size is unfinished (the message says which); fix that (or finish that expansion), then retry. */
  ENGINE_NOT_EXPANDABLE: 'failed-precondition',
  /** EngineSnapshotRevert cannot start: a member is not in sync, a rebuild, expansion or another revert of the engine runs, the source does not hold the snapshot, or it cannot serve as the source (the message says which); fix that, then retry. */
  ENGINE_NOT_REVERTIBLE: 'failed-precondition',
  /** EngineCreate: a member carries another raid's superblock (spdk_tgt v26.05 refuses it to any raid) and is not a fresh clone of this node whose first cluster may be cleared (the message names each member and why); delete that raid with its superblock (or use other replicas), then retry. */
  ENGINE_MEMBER_FOREIGN_SUPERBLOCK: 'failed-precondition',
  /** Hosts are connected to the engine's export (the details name them); a revert changes the data under them: disconnect them first. */
  ENGINE_HOSTS_CONNECTED: 'failed-precondition',

  // resource-exhausted: the node lacks room for the work; free some or add capacity, then retry.
  /** Peers only: the peer said RESOURCE_EXHAUSTED without a code this service knows. */
  RESOURCE_EXHAUSTED: 'resource-exhausted',
  /** spdk_tgt is out of DMA memory (hugepages), or admission found too little left; add hugepages or remove objects. */
  DMA_EXHAUSTED: 'resource-exhausted',
  /** The disk has no free space; free space or use another disk. */
  DISK_FULL: 'resource-exhausted',
  /** Admission refused the work: spdk_tgt's object limits (e.g. max_subsystems) would be passed. */
  SPDK_LIMIT_REACHED: 'resource-exhausted',
  /** Every port of export.portMin-portMax is in use; widen the range. */
  PORTS_EXHAUSTED: 'resource-exhausted',
  /** rebuild.maxQueued rebuilds already wait on this node; retry later. */
  REBUILD_QUEUE_FULL: 'resource-exhausted',
  /** A request too large for spdk_tgt to accept; make it smaller (retrying cannot help). */
  SPDK_REQUEST_TOO_LARGE: 'resource-exhausted',
  /** A watcher fell too far behind the events; read faster, then watch again. */
  WATCH_OVERRUN: 'resource-exhausted',
  /** The state file's filesystem is full or over quota (ENOSPC, EDQUOT); free space there, then retry. */
  STATE_FILE_NO_SPACE: 'resource-exhausted',
  /** The staging directory (backup.stagingDir) has too little free space for a backup's or restore's staging file (the message gives needed and free bytes); free space there or wait for running backups, then retry. */
  STAGING_SPACE_EXHAUSTED: 'resource-exhausted',
  /** backup.queueMax jobs already wait on this node (the message gives queued, running and the limits); retry later. */
  BACKUP_QUEUE_FULL: 'resource-exhausted',

  // unavailable: something needed is not reachable right now; retry with backoff.
  /** Peers only: the peer (or the link to it) failed in a way with no better code. */
  UNAVAILABLE: 'unavailable',
  /** spdk_tgt cannot be reached, or the connection was lost before the answer; check that it runs, then retry. */
  SPDK_UNREACHABLE: 'unavailable',
  /** Too much work is queued for spdk_tgt; retry with backoff. */
  SPDK_OVERLOADED: 'unavailable',
  /** The service gave up its spdk_tgt call (the caller cancelled, or the service is stopping); retry. */
  SPDK_CALL_ABORTED: 'unavailable',
  /** The service is still recovering from spdk_tgt at start; retry shortly. */
  SERVICE_NOT_READY: 'unavailable',
  /** The service is stopping; retry once it is back. */
  SERVICE_STOPPING: 'unavailable',
  /** The API could not listen on its address. */
  API_LISTEN_FAILED: 'unavailable',
  /** This server was started without the node's metrics (an embedding that gave none): NodeStats has nothing to read. */
  NODE_STATS_UNAVAILABLE: 'unavailable',
  /** A replica (or the last source of a rebuild) could not be reached or was lost; check its node, then retry. */
  REPLICA_UNREACHABLE: 'unavailable',
  /** An earlier delete of a replica of that name did not finish (a step failed, or a copy still reads one of its snapshots; the message says which) and finishing it now failed: nothing was created. The node finishes the delete by itself; retry the create with backoff. */
  REPLICA_DELETE_UNFINISHED: 'unavailable',
  /** nvme-cli could not reach the target; check the network and the target, then retry. */
  NVME_TARGET_UNREACHABLE: 'unavailable',
  /** spdk_tgt could not attach an NVMe-oF target (EIO: nothing listens, no such subsystem, or this host is not allowed); check the target, then retry. */
  NVMF_TARGET_UNREACHABLE: 'unavailable',
  /** The backup target did not answer (or failed) past the retry budget; check the endpoint and network, then retry. */
  BACKUP_TARGET_UNREACHABLE: 'unavailable',

  // deadline-exceeded: the work did not finish in time; it may still finish. Retry (operations are idempotent).
  /** Peers only: the peer said DEADLINE_EXCEEDED without a code this service knows. */
  DEADLINE_EXCEEDED: 'deadline-exceeded',
  /** A spdk_tgt call passed its deadline; spdk_tgt is slow or stuck: retry later, and check it if it persists. */
  SPDK_TIMEOUT: 'deadline-exceeded',
  /** nvme-cli, or the kernel state it changes, did not settle in time. */
  NVME_CLI_TIMEOUT: 'deadline-exceeded',
  /** A bdev stayed after its controller was detached. */
  MEMBER_DETACH_TIMEOUT: 'deadline-exceeded',
  /** Admission waited too long for a sample of spdk_tgt. */
  ADMISSION_TIMEOUT: 'deadline-exceeded',
  /** A shallow copy of a snapshot waited past its deadline for another copy of the same snapshot (a backup's stage or a rebuild's copy) to end; retry once it has. */
  COPY_WAIT_TIMEOUT: 'deadline-exceeded',
  /** A peer stopped reporting on a shallow copy. */
  PEER_SILENT: 'deadline-exceeded',
  /** A backup or restore job made no progress within backup.stallSec, or waited queued past backup.queuedDeadlineSec; retry it. */
  BACKUP_DEADLINE_EXCEEDED: 'deadline-exceeded',
  /** An engine's members grew but its raid did not report the new size in time; the expansion stays recorded: retry EngineExpand with the same size. */
  ENGINE_EXPAND_INCOMPLETE: 'deadline-exceeded',

  // aborted: the work was cancelled before it finished; nothing more will happen unless asked again.
  /** Cancelled by request, by a cancelled caller, or because its object went away. */
  CANCELLED: 'aborted',

  // internal: a fault of this service or its environment the caller cannot fix; the service log has the details.
  /** A bug or an unexpected failure. */
  INTERNAL: 'internal',
  /** A configuration value is missing or malformed (at start: exit 2). */
  INVALID_CONFIG: 'internal',
  /** The state file cannot be read or is damaged (at start: exit 2); the message says what to do. */
  STATE_FILE_UNREADABLE: 'internal',
  /** The state file cannot be written. */
  STATE_FILE_UNWRITABLE: 'internal',
  /** The service built params spdk_tgt's schema refuses; nothing was sent. */
  SPDK_PARAMS_REFUSED: 'internal',
  /** spdk_tgt answered in a shape the service does not understand (another version?). */
  SPDK_RESULT_UNEXPECTED: 'internal',
  /** spdk_tgt's state contradicts what it just did (made an object it does not list), or a copy failed inside it. */
  SPDK_INCONSISTENT: 'internal',
  /** nvme-cli failed in a way it did not explain, or printed output of an unknown shape. */
  NVME_CLI_FAILED: 'internal',
  /** A backup's data in the target does not match its manifest's checksums (a block or the manifest was damaged); nothing was restored from it. */
  BACKUP_CORRUPT: 'internal',

  // unknown: spdk_tgt's own refusal, passed on in its words.
  /** spdk_tgt refused a call in a way the domain does not translate; its message says why. */
  SPDK_REFUSED: 'unknown',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/**
 * The longest message an error carries. Messages quote caller input only as a short prefix
 * (src/validation/text.ts); this is the backstop for text that is not ours (spdk_tgt's or a
 * peer's words), so no status is ever large enough to break the caller's channel.
 */
export const MESSAGE_MAX = 2048;

export class ConductorError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message.length > MESSAGE_MAX ? `${message.slice(0, MESSAGE_MAX)}… (${message.length - MESSAGE_MAX} more characters cut)` : message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  get kind(): ErrorKind {
    return ERROR_CODES[this.code];
  }

  /** What a caller should do, for errors whose message does not say it already; the edge appends it. */
  get hint(): string | undefined {
    return undefined;
  }
}

/**
 * errno values and JSON-RPC codes that spdk_tgt v26.05 really returns (see
 * ../shared/spdk/errors-table.json). The names are for logs and readers; what a code means for a
 * given method is decided per method by the verdict tables in rpc-schemas, never by the name.
 */
export const SPDK_CODES = {
  EPERM: -1,
  ENOENT: -2,
  EIO: -5,
  ENOMEM: -12,
  EBUSY: -16,
  EEXIST: -17,
  ENODEV: -19,
  EINVAL: -22,
  EALREADY: -114,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  PARSE_ERROR: -32700,
} as const;

export type SpdkCodeName = keyof typeof SPDK_CODES;

const codeNames = new Map<number, SpdkCodeName>(Object.entries(SPDK_CODES).map(([name, code]) => [code, name as SpdkCodeName]));

/** spdk_tgt answered with an error object. */
export class SpdkRpcError extends ConductorError {
  readonly rpcCode: number;
  readonly rpcMessage: string;
  readonly method: string;
  readonly params: unknown;

  constructor(method: string, params: unknown, rpcCode: number, rpcMessage: string, data?: unknown) {
    const name = codeNames.get(rpcCode) ?? String(rpcCode);
    super('SPDK_REFUSED', `${method} failed: ${rpcMessage} (${name})`, { method, rpcCode, rpcMessage, data });
    this.rpcCode = rpcCode;
    this.rpcMessage = rpcMessage;
    this.method = method;
    this.params = params;
  }

  /** The symbolic name of the code, or undefined for one spdk_tgt is not known to use. */
  get codeName(): SpdkCodeName | undefined {
    return codeNames.get(this.rpcCode);
  }

  is(name: SpdkCodeName): boolean {
    return this.rpcCode === SPDK_CODES[name];
  }

  get isMethodNotFound(): boolean {
    return this.is('METHOD_NOT_FOUND');
  }

  get isOutOfMemory(): boolean {
    return this.is('ENOMEM') || /Cannot allocate memory/.test(this.rpcMessage);
  }

  get isNoSpace(): boolean {
    return /No space left on device/.test(this.rpcMessage);
  }
}

export type TransportFailure =
  /** The socket path does not exist: spdk_tgt is not running or not started yet. */
  | 'no-socket'
  /** The path exists but nobody accepts (stale socket, or the 64-connection limit). */
  | 'refused'
  /** The connection closed or reset before the answer came. */
  | 'closed'
  /** The call's deadline passed first. */
  | 'timeout'
  /** The caller aborted the call. */
  | 'aborted'
  /** The in-flight cap and the bounded wait queue are both full. */
  | 'overloaded'
  /** The request is larger than spdk_tgt accepts; sending it would reset the connection. */
  | 'too-large'
  /** The client was closed. */
  | 'client-closed';

const TRANSPORT_CODES: Readonly<Record<TransportFailure, ErrorCode>> = {
  'no-socket': 'SPDK_UNREACHABLE',
  refused: 'SPDK_UNREACHABLE',
  closed: 'SPDK_UNREACHABLE',
  'client-closed': 'SPDK_UNREACHABLE',
  timeout: 'SPDK_TIMEOUT',
  aborted: 'SPDK_CALL_ABORTED',
  overloaded: 'SPDK_OVERLOADED',
  // Sending it again cannot help, so a retryable kind would mislead.
  'too-large': 'SPDK_REQUEST_TOO_LARGE',
};

export class SpdkTransportError extends ConductorError {
  readonly failure: TransportFailure;
  readonly method: string | undefined;

  constructor(failure: TransportFailure, message: string, method?: string, options?: ErrorOptions) {
    super(TRANSPORT_CODES[failure], message, { failure, method }, options);
    this.failure = failure;
    this.method = method;
  }

  override get hint(): string | undefined {
    switch (this.failure) {
      case 'timeout':
        return 'spdk_tgt is slow or stuck: retry later, and check spdk_tgt if it persists';
      case 'too-large':
        return 'make the request smaller';
      case 'overloaded':
        return 'too much work is queued for spdk_tgt: retry with backoff';
      default:
        return 'spdk_tgt is not reachable: check that it is running, then retry';
    }
  }
}

/** The params break the method's schema; nothing was sent. */
export class SpdkParamsError extends ConductorError {
  readonly method: string;
  readonly problems: readonly string[];

  constructor(method: string, problems: readonly string[]) {
    super('SPDK_PARAMS_REFUSED', `refused to send ${method}: ${problems.join('; ')}`, { method, problems });
    this.method = method;
    this.problems = problems;
  }
}

/** spdk_tgt's answer lacks what the service relies on: a version we do not understand. */
export class SpdkResultError extends ConductorError {
  constructor(method: string, problems: readonly string[]) {
    super('SPDK_RESULT_UNEXPECTED', `unexpected result from ${method}: ${problems.join('; ')}`, { method, problems });
  }
}

export class ConfigError extends ConductorError {
  constructor(key: string, message: string) {
    super('INVALID_CONFIG', `config ${key}: ${message}`, { key });
  }
}

export function isConductorError(err: unknown): err is ConductorError {
  return err instanceof ConductorError;
}
