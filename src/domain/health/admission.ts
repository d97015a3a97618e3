/**
 * Hugepage-aware admission, as the rest of the domain asks for it: what a piece of work will take
 * and the reservation held while it runs. NodeResources (resources.ts) implements it.
 */
import type { CallOptions } from '../../spdk/call.js';

/** What a piece of work will take from spdk_tgt, asked before anything is made. */
export interface AdmissionRequest {
  kind: 'rebuild' | 'engine' | 'export' | 'attach';
  /** Names the object in messages, e.g. "engine vol-1" or "rebuild of r2 into vol-1". */
  what: string;
  /** attach/engine: how many controllers will be attached (one qpair's DMA each). */
  controllers?: number;
  /** engine/export: how many subsystems will be made. */
  subsystems?: number;
  /** export: the subsystem's NQN; one that spdk_tgt already has takes no more of its table. */
  nqn?: string;
}

/** Held while the admitted work runs; its estimate counts against free memory until released. */
export interface Reservation {
  /**
   * Idempotent. `made`: the subsystems the work left in spdk_tgt (none when it failed and undid
   * them); they count as existing from then on and the hold ends at once. Without it the work did
   * not say, and its subsystems count on until a count read after the release.
   */
  release(made?: readonly string[]): void;
}

/** spdk_tgt's max_subsystems in use, and where it came from. */
export interface SubsystemLimit {
  max: number;
  /** spdk_tgt (framework_get_config nvmf), config (spdk.maxSubsystems) or default (1024: spdk_tgt could not tell). */
  source: 'spdk_tgt' | 'config' | 'default';
}

/** Hugepage-aware admission: refuses with RESOURCE_EXHAUSTED and the numbers instead of failing halfway. */
export interface Admission {
  admit(request: AdmissionRequest, options?: CallOptions): Promise<Reservation>;
  /** The service deleted these subsystems: they stop counting at once. */
  subsystemsGone(nqns: readonly string[]): void;
  subsystemLimit(): SubsystemLimit;
}
