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
