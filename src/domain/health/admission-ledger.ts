/**
 * The admission ledger: what admitted work still running holds of spdk_tgt, against which
 * NodeResources (resources.ts) checks each new admission. It keeps no reading of its own: the
 * samples and the subsystem counts are NodeResources'; this is what they do not show yet.
 *
 * Reservations: an admitted piece of work holds its estimate of DMA memory, which counts against
 * a sample until a sample was taken after the work allocated; from then on the sample includes it
 * and counting it again would be double. Callers admit right before the work starts and release
 * when it ends, so:
 * - a rebuild frees its windows when it ends: its hold counts until released, or until a reading
 *   taken one sample period after the admission (the windows are in it by then);
 * - engines and attaches make controllers that outlive the work: their holds count until a
 *   reading taken after the release (or one period after the admission).
 *
 * Subsystems: the NQNs spdk_tgt has (as last counted, kept current by the service's own creates
 * and deletes as they finish) plus what running work will make. Work that says what it made when
 * it releases (an export) ends its hold at once; work that does not counts on until a count asked
 * after its release. Changes that finish while a count is read are journalled and applied again
 * over its answer (spdk_tgt answers in order, so the count has every change answered before it
 * was asked).
 */
import type { AdmissionRequest, Reservation } from './admission.js';

/** Past this many holds an admission prunes the ledger itself rather than wait for a sample. */
const MAX_HELD_BEFORE_PRUNE = 4096;

interface Held {
  readonly what: string;
  readonly bytes: number;
  readonly at: number;
  /** Its objects outlive the work (controllers, subsystems): it counts on after release until seen. */
  readonly persists: boolean;
  releasedAt?: number;
}

/** A reading taken at `readAt` or later includes the hold's allocations. */
function settledAt(h: Held, period: number): number {
  return h.releasedAt === undefined ? h.at + period : Math.min(h.releasedAt, h.at + period);
}

export class AdmissionLedger {
  private readonly held = new Set<Held>();
  /** The NQNs spdk_tgt has: listed by the last count, then changed by the service's own work. */
  private listed: { nqns: Set<string>; at: number } | undefined;
  /** Changes finished while a count is being read, applied again over its answer. */
  private journal: Array<{ nqn: string; exists: boolean }> | undefined;
  private countsAsked = 0;
  /** Subsystems that admitted work still running will make: by NQN where the work named it, else a number. */
  private readonly nqnsInFlight = new Map<string, number>();
  private subsystemsInFlight = 0;
  /** Released holds whose work did not say what it made, with the count number asked before the release. */
  private readonly unsettled = new Map<object, { subsystems: number; asked: number }>();
  private unsettledSum = 0;

  /** `period`: the sample period, after which a reading includes what a hold allocated. */
  constructor(
    private readonly period: number,
    private readonly now: () => number,
  ) {}

  /** The NQNs spdk_tgt has as last counted (with the service's changes since) and when; undefined before a count. */
  known(): { readonly nqns: ReadonlySet<string>; readonly at: number } | undefined {
    return this.listed;
  }

  /** Subsystems of released work that did not say what it made: only a new count settles them. */
  unsettledSubsystems(): number {
    return this.unsettledSum;
  }

  /**
   * Holds what admitted work takes until its reservation is released: `bytes` of DMA memory (a
   * rebuild's until released, anything else's until a reading after the release) and `subsystems`.
   */
  hold(request: AdmissionRequest, bytes: number, subsystems: number): Reservation {
    const held: Held | undefined = bytes > 0 ? { what: request.what, bytes, at: this.now(), persists: request.kind !== 'rebuild' } : undefined;
    if (held) {
      // Released holds are dropped when a reading has seen them; while spdk_tgt cannot be read,
      // this keeps the ledger bounded all the same.
      if (this.held.size >= MAX_HELD_BEFORE_PRUNE) this.heldSince(this.now());
      this.held.add(held);
    }
    // One NQN in flight twice counts once: spdk_tgt makes it once.
    const nqn = subsystems === 1 ? request.nqn : undefined;
    if (nqn !== undefined) this.nqnsInFlight.set(nqn, (this.nqnsInFlight.get(nqn) ?? 0) + 1);
    else this.subsystemsInFlight += subsystems;
    let released = false;
    return {
      release: (made) => {
        if (released) return;
        released = true;
        if (nqn === undefined) this.subsystemsInFlight -= subsystems;
        else if ((this.nqnsInFlight.get(nqn) ?? 1) > 1) this.nqnsInFlight.set(nqn, this.nqnsInFlight.get(nqn)! - 1);
        else this.nqnsInFlight.delete(nqn);
        if (made) for (const nqn of made) this.noteSubsystem(nqn, true);
        else if (subsystems > 0) {
          this.unsettled.set(held ?? {}, { subsystems, asked: this.countsAsked });
          this.unsettledSum += subsystems;
        }
        if (!held) return;
        if (!held.persists) this.held.delete(held);
        else held.releasedAt ??= this.now();
      },
    };
  }

  /** Holds a sample taken at `at` does not reflect, with the subsystems running work reserves. */
  reservedSince(at: number): { bytes: number; subsystems: number; count: number } {
    return { ...this.heldSince(at), subsystems: this.subsystemsReserved() };
  }

  /**
   * The DMA memory of holds a sample taken at `at` does not reflect; released holds every reading
   * has seen are dropped. Without the subsystems: their count is a pass over the NQNs in flight,
   * which an admission's memory check does not need (its subsystem check makes it once).
   */
  heldSince(at: number): { bytes: number; count: number } {
    const r = { bytes: 0, count: 0 };
    for (const h of this.held) {
      const settled = settledAt(h, this.period);
      // Bounded even when spdk_tgt cannot be read for a long time.
      if (h.releasedAt !== undefined && (settled <= at || this.now() - h.releasedAt > 10 * this.period)) {
        this.held.delete(h);
        continue;
      }
      if (at >= settled) continue;
      r.bytes += h.bytes;
      r.count++;
    }
    return r;
  }

  /**
   * Subsystems running work will make that spdk_tgt does not list yet: a count read while an
   * export is half-made lists its subsystem already.
   */
  subsystemsReserved(): number {
    let pending = 0;
    for (const nqn of this.nqnsInFlight.keys()) if (!this.listed?.nqns.has(nqn)) pending++;
    return pending + this.subsystemsInFlight + this.unsettledSum;
  }

  /** A subsystem the service made or deleted, as its call was answered. */
  noteSubsystem(nqn: string, exists: boolean): void {
    this.journal?.push({ nqn, exists });
    if (exists) this.listed?.nqns.add(nqn);
    else this.listed?.nqns.delete(nqn);
  }

  /** A count is asked now: the changes answered from here on are journalled. Returns the count's number. */
  countAsked(): number {
    const asked = ++this.countsAsked;
    this.journal = [];
    return asked;
  }

  /** Count `asked` listed `nqns` (its call started at `at`): the journal goes over it, and the work it settles stops counting. */
  counted(asked: number, nqns: Set<string>, at: number): void {
    for (const change of this.journal ?? []) {
      if (change.exists) nqns.add(change.nqn);
      else nqns.delete(change.nqn);
    }
    this.listed = { nqns, at };
    // Work released before this count was asked, without saying what it made: the count has it.
    for (const [key, u] of this.unsettled) {
      if (u.asked >= asked) continue;
      this.unsettled.delete(key);
      this.unsettledSum -= u.subsystems;
    }
  }

  /** The count is over (answered or failed): nothing is journalled until the next. */
  countEnded(): void {
    this.journal = undefined;
  }
}
