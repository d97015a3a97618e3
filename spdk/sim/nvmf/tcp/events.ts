/**
 * One NVMe/TCP controller's asynchronous events as SPDK v26.05's ctrlr.c raises them: Asynchronous
 * Event Requests are held (at most SPDK_NVMF_MAX_ASYNC_EVENTS); a namespace added, removed or
 * resized completes one with Namespace Attribute Changed (and lists its nsid in the Changed
 * Namespace List log page), an ANA state change with ANA Change when ANA reporting is on. Each kind
 * is then masked until the host reads its log page without RAE (nvmf_ctrlr_mask_aen /
 * unmask_aen); the ANA page is not served here, so ANA Change is raised once. An event with no
 * request outstanding waits for the next one.
 */
import type { NamespaceInfo } from '../../fabric/protocol.js';
import { fail, ok, Sc, Sct, type Completion } from './admin.js';

/** SPDK_NVMF_MAX_ASYNC_EVENTS. */
const MAX_AERS = 4;
/** Completion dword 0: type 2 (notice), information, log page identifier. */
const NS_ATTR_CHANGED = (0x04 << 16) | (0x00 << 8) | 0x02;
const ANA_CHANGED = (0x0c << 16) | (0x03 << 8) | 0x02;
/** Async Event Configuration bits: namespace attribute notices (8), ANA change notices (11). */
export const AEC_NS_ATTR = 1 << 8;
export const AEC_ANA = 1 << 11;
/** The changed namespace list holds 1024 nsids; past that its first entry is FFFFFFFFh. */
const CHANGED_NS_MAX = 1024;

type Seen = Map<number, { readonly blocks: number; readonly ana: string }>;

const snapshot = (namespaces: readonly NamespaceInfo[]): Seen => new Map(namespaces.map((ns) => [ns.nsid, { blocks: ns.numBlocks, ana: ns.anaState }]));

export class AsyncEvents {
  private readonly waiting: Array<(c: Completion) => void> = [];
  private readonly pending: number[] = [];
  private readonly masked = new Set<number>();
  private changed: number[] = [];
  private seen: Seen;
  /** Async Event Configuration (Set Features 0Bh), as nvmf_ctrlr_create enables it. */
  config: number;

  constructor(
    private readonly anaReporting: boolean,
    namespaces: readonly NamespaceInfo[],
  ) {
    this.seen = snapshot(namespaces);
    this.config = AEC_NS_ATTR | (anaReporting ? AEC_ANA : 0);
  }

  /** An Asynchronous Event Request: an event waiting completes it at once, else it is held. */
  request(): Promise<Completion> | Completion {
    const event = this.pending.shift();
    if (event !== undefined) return ok(event);
    if (this.waiting.length >= MAX_AERS) return fail(Sct.COMMAND_SPECIFIC, Sc.ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED);
    return new Promise<Completion>((resolve) => this.waiting.push(resolve));
  }

  /** The subsystem's namespaces as this controller's listener sees them now (a SIMF notice's payload). */
  namespacesNow(namespaces: readonly NamespaceInfo[]): void {
    const now = snapshot(namespaces);
    let anaChanged = false;
    const changed: number[] = [];
    for (const nsid of new Set([...this.seen.keys(), ...now.keys()])) {
      const before = this.seen.get(nsid);
      const after = now.get(nsid);
      if (before?.blocks !== after?.blocks) changed.push(nsid);
      else if (before?.ana !== after?.ana) anaChanged = true;
    }
    this.seen = now;
    for (const nsid of changed.sort((a, b) => a - b)) this.nsChanged(nsid);
    if (changed.length > 0 && this.config & AEC_NS_ATTR) this.raise(NS_ATTR_CHANGED);
    if (anaChanged && this.anaReporting && this.config & AEC_ANA) this.raise(ANA_CHANGED);
  }

  /** Log page 04h; read without RAE, it empties the list and lets the next change be raised. */
  changedNamespaces(retainEvent: boolean): Buffer {
    const page = Buffer.alloc(4096);
    for (const [i, nsid] of this.changed.entries()) page.writeUInt32LE(nsid >>> 0, i * 4);
    if (!retainEvent) {
      this.changed = [];
      this.masked.delete(NS_ATTR_CHANGED);
    }
    return page;
  }

  private nsChanged(nsid: number): void {
    if (this.changed[0] === 0xffff_ffff || this.changed.includes(nsid)) return;
    if (this.changed.length >= CHANGED_NS_MAX) this.changed = [0xffff_ffff];
    else this.changed.push(nsid);
  }

  private raise(event: number): void {
    if (this.masked.has(event)) return;
    this.masked.add(event);
    const waiter = this.waiting.shift();
    if (waiter) waiter(ok(event));
    else this.pending.push(event);
  }
}
