/**
 * The node's composition: one spdk_tgt client, the state file, locks and keys beside it, made
 * into the domain context and the NodeService over it, from plain values (src/service.ts reads
 * them from configuration; tests give them directly).
 */
import { CopyHolds } from '../backup/copy-holds.js';
import path from 'node:path';
import type { Logger } from 'pino';
import type { SpdkClient } from '../../spdk/client.js';
import { SpdkMethods } from '../../spdk/methods/index.js';
import { KeyFiles } from '../../host/key-files.js';
import type { DomainContext, DomainSettings } from './context.js';
import { ObjectLocks } from './locks.js';
import { NO_PEERS, type PeerDirectory } from '../peers.js';
import type { StagingSettings } from '../backup/staging-area.js';
import type { BackupJobsSettings } from '../backup/jobs.js';
import { ReplicaEvents } from '../replica/replica-events.js';
import { Inventory } from './inventory.js';
import { KeyStore } from './keys.js';
import { withKillSwitch } from './kill-points.js';
import type { EngineDeps } from '../engine/engines.js';
import type { TimeoutBudget } from '../engine/timeout-budget.js';
import { PortRange } from './naming.js';
import { NodeService, type NodeResourcesLike } from './node-service.js';
import { StateFile } from './state-file.js';

/** The node as plain values: the composition (src/service.ts) reads them from configuration. */
export interface NodeDomainOptions {
  client: SpdkClient;
  /** Other nodes' services, for snapshot-preserving rebuilds. Default: none (raid rebuilds only). */
  peers?: PeerDirectory;
  /** Admission and health, over spdk_tgt as given. */
  resources: (ctx: { spdk: SpdkMethods; client: SpdkClient; log: Logger }) => NodeResourcesLike;
  logger: Logger;
  stateFile: string;
  settings: DomainSettings;
  /** The TCP ports replica exports listen on. */
  exportPorts: { min: number; max: number };
  /** Checked already: the budget the node runs with. */
  budget: TimeoutBudget;
  engineDeps: EngineDeps;
  monitorPeriodMs: number;
  maxConcurrentRebuilds: number;
  maxQueuedRebuilds: number;
  /** Where backups stage snapshot images. Default: backup-staging beside the state file, 256 MiB kept free. */
  backupStaging?: StagingSettings;
  /** Backup jobs (domain/backup/jobs.ts); default: their defaults, the filesystem target `backups` beside the state file. */
  backups?: BackupJobsSettings;
}

export function createNodeDomain(options: NodeDomainOptions): NodeService {
  const { logger, client } = options;
  const log = logger.child({ component: 'domain' });
  const spdk = new SpdkMethods(withKillSwitch(client));
  // The root logger: NodeResources makes its own { component } child.
  // Its readings are not steps of the operation that asked for admission: they go around the
  // kill switch (crash tests count an operation's own spdk_tgt calls).
  const resources = options.resources({ spdk: new SpdkMethods(client), client, log: logger });
  const state = StateFile.open(options.stateFile, log.child({ component: 'state-file' }));
  const locks = new ObjectLocks();
  // Beside the state file, which records who uses which key.
  const keyFiles = new KeyFiles(path.resolve(path.dirname(options.stateFile), 'keys'));
  const ctx: DomainContext = {
    admission: resources,
    spdk,
    client,
    inventory: new Inventory(),
    state,
    locks,
    keys: new KeyStore({ spdk, state, locks, log: log.child({ component: 'keys' }) }, keyFiles),
    events: new ReplicaEvents(),
    copyHolds: new CopyHolds(state, log.child({ component: 'copy-holds' })),
    ports: new PortRange(options.exportPorts.min, options.exportPorts.max),
    settings: options.settings,
    log,
  };
  return new NodeService(ctx, options.budget, options.engineDeps, {
    monitorPeriodMs: options.monitorPeriodMs,
    resources,
    peers: options.peers ?? NO_PEERS,
    maxConcurrentRebuilds: options.maxConcurrentRebuilds,
    maxQueuedRebuilds: options.maxQueuedRebuilds,
    backupStaging: options.backupStaging ?? { dir: path.resolve(path.dirname(options.stateFile), 'backup-staging'), keepFreeBytes: 256 * 1024 * 1024 },
    backups: options.backups ?? defaultBackupSettings(path.resolve(path.dirname(options.stateFile), 'backups')),
  });
}

/** The backup.* keys' defaults (config/schema.ts), for callers that build the domain without configuration. */
export function defaultBackupSettings(fsTargetDir: string): BackupJobsSettings {
  return {
    queueMax: 64,
    concurrency: 2,
    retries: 6,
    retryMinMs: 500,
    requestTimeoutMs: 30_000,
    leaseMs: 120_000,
    sweepRetryMs: 60_000,
    stallMs: 600_000,
    queuedDeadlineMs: 86_400_000,
    defaultTarget: { kind: 'fs', path: fsTargetDir },
  };
}
