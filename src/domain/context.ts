/**
 * What every domain component shares: spdk_tgt (typed methods and the client for verdicts and
 * capabilities), the inventory, the state file, per-object locks, events and configuration.
 */
import type { Logger } from 'pino';
import type { CallOptions } from '../spdk/call.js';
import type { SpdkClient } from '../spdk/client.js';
import type { SpdkMethods } from '../spdk/methods/index.js';
import { KeyedSerializer } from '../spdk/keyed-serializer.js';
import type { Inventory } from './inventory.js';
import type { PortRange } from './naming.js';
import type { StateFile } from './state-file.js';
import type { ReplicaEvents } from './events.js';

export interface DomainSettings {
  /** The address replica listeners bind to (the node's storage network address). */
  exportAddress: string;
  defaultClusterSizeBytes: number;
}

/** What a piece of work will take from spdk_tgt, asked before anything is made. */
export interface AdmissionRequest {
  kind: 'rebuild' | 'engine' | 'export' | 'attach';
  /** Names the object in messages, e.g. "engine vol-1" or "rebuild of r2 into vol-1". */
  what: string;
  /** attach/engine: how many controllers will be attached (one qpair's DMA each). */
  controllers?: number;
  /** engine/export: how many subsystems will be made. */
  subsystems?: number;
}

/** Held while the admitted work runs; its estimate counts against free memory until released. */
export interface Reservation {
  /** Idempotent. */
  release(): void;
}

/** Hugepage-aware admission: refuses with RESOURCE_EXHAUSTED and the numbers instead of failing halfway. */
export interface Admission {
  admit(request: AdmissionRequest, options?: CallOptions): Promise<Reservation>;
}

export interface DomainContext {
  readonly admission: Admission;
  readonly spdk: SpdkMethods;
  readonly client: SpdkClient;
  readonly inventory: Inventory;
  readonly state: StateFile;
  readonly locks: ObjectLocks;
  readonly events: ReplicaEvents;
  readonly ports: PortRange;
  readonly settings: DomainSettings;
  readonly log: Logger;
}

/**
 * Per-object locks: operations on one replica (or disk) run one at a time, different objects run
 * in parallel. Held only across spdk_tgt calls, which all carry deadlines: never across anything
 * that can hang.
 */
export class ObjectLocks {
  private readonly serializer = new KeyedSerializer();

  async with<T>(key: string, work: () => Promise<T>): Promise<T> {
    const release = await this.serializer.acquire(key);
    try {
      return await work();
    } finally {
      release();
    }
  }

  get held(): number {
    return this.serializer.size;
  }
}
