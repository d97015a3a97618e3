/**
 * What the domain's components are made from: spdk_tgt (typed methods and the client for verdicts
 * and capabilities), the inventory, the state file, per-object locks, events and configuration.
 * Each component takes only the parts it uses (a Pick of this). Engine records are read and changed
 * through EngineRecords (engine/engine-records.ts), never through `state` directly.
 */
import type { CopyHolds } from '../backup/copy-holds.js';
import type { Logger } from 'pino';
import type { SpdkClient } from '../../spdk/client.js';
import type { SpdkMethods } from '../../spdk/methods/index.js';
import type { Admission } from '../health/admission.js';
import type { ObjectLocks } from './locks.js';
import type { Inventory } from './inventory.js';
import type { KeyStore } from './keys.js';
import type { PortRange } from './naming.js';
import type { StateFile } from './state-file.js';
import type { ReplicaEvents } from '../replica/replica-events.js';

export interface DomainSettings {
  /** The address replica listeners bind to (the node's storage network address). */
  exportAddress: string;
  defaultClusterSizeBytes: number;
  /** Directories (absolute, symlinks resolved) a disk's device or file must lie under. */
  diskAllowedPrefixes: readonly string[];
}

export interface DomainContext {
  readonly admission: Admission;
  readonly spdk: SpdkMethods;
  readonly client: SpdkClient;
  readonly inventory: Inventory;
  readonly state: StateFile;
  readonly locks: ObjectLocks;
  /** Secrets for NVMe in-band authentication: key files, the keyring, who uses which key. */
  readonly keys: KeyStore;
  readonly events: ReplicaEvents;
  /** Snapshots a running shallow copy reads (backup stages): not deleted until it ends. */
  readonly copyHolds: CopyHolds;
  readonly ports: PortRange;
  readonly settings: DomainSettings;
  readonly log: Logger;
}
