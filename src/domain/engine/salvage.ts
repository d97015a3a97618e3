/**
 * Replica salvage: which member of an engine made over replicas that may have diverged (its node
 * crashed, its state was lost, a member was out while the volume took writes) holds the volume's
 * data. One member is the source; every other member is rebuilt from it, never trusted beside it.
 * The rule (docs/volume-operations.md, "Replica salvage"), each step deciding only among the
 * members the steps before it left:
 *
 *   a. the engine's own record, where one exists: members it holds in sync (not being rebuilt,
 *      not out of the raid) are the candidates;
 *   b. the raid superblock's sequence: spdk_tgt's examine assembles the raid from the newest
 *      superblock and leaves out (or re-adds to rebuild) members of an older one; v26.05 does not
 *      list the sequence, so the members examine configured are the candidates;
 *   c. the snapshot chains: a member whose chain holds another's newest snapshot and more after
 *      it is newer than that member;
 *   d. the caller's order: the first listed.
 *
 * The caller may name the source instead. A member never written (no allocated cluster in its
 * head or any of its snapshots) holds nothing to salvage and is never chosen over one that was; when every member is
 * such, the engine is new and nothing is rebuilt.
 */
import type { CallOptions } from '../../spdk/call.js';
import type { EngineReplicaSpec, SalvageInfo, SalvageMemberVerdict, SalvageRule } from '../model.js';
import type { PeerDirectory, PeerNode } from '../peers.js';

/** What is known of one member when the source is chosen; undefined: not known (no such step). */
export interface MemberEvidence {
  name: string;
  /** Never written: no cluster allocated in the head or any snapshot. Undefined when its node could not be asked. */
  empty: boolean | undefined;
  /** Rule a: in sync by the engine's record. */
  inSyncByRecord?: boolean;
  /** Rule b: configured in the raid examine assembled from the newest superblock. */
  newestSuperblock?: boolean;
  /** Rule c: its snapshots' names, oldest first. */
  snapshots?: readonly string[];
}

/**
 * The source and every member's verdict, or undefined when every member is new and empty (no
 * salvage: nothing to rebuild). `explicit` is a member's name (the caller checked it).
 */
export function chooseSource(members: readonly MemberEvidence[], explicit?: string, nowMs = Date.now()): SalvageInfo | undefined {
  if (members.every((m) => m.empty === true)) return undefined;
  const why = new Map<string, string>();
  const decide = (source: string, rule: SalvageRule, reason: string): SalvageInfo => ({
    source,
    rule,
    reason,
    decidedAtMs: nowMs,
    members: members.map((m): SalvageMemberVerdict => {
      if (m.name === source) return { replica: m.name, verdict: 'source', reason };
      return { replica: m.name, verdict: 'rebuilt', reason: why.get(m.name) ?? `not the source: ${reason}` };
    }),
  });
  if (explicit !== undefined) return decide(explicit, 'explicit', `named by the caller as the source`);

  let left = members.filter((m) => m.empty !== true);
  for (const m of members) if (m.empty === true) why.set(m.name, 'never written: holds nothing to salvage');
  const narrow = (keep: (m: MemberEvidence) => boolean, excluded: (m: MemberEvidence) => string): boolean => {
    const kept = left.filter(keep);
    // A step that would leave nobody tells nothing.
    if (kept.length === 0 || kept.length === left.length) return false;
    for (const m of left) if (!kept.includes(m)) why.set(m.name, excluded(m));
    left = kept;
    return true;
  };
  if (left.length === 1) return decide(left[0]!.name, 'written', `the only member ever written`);

  if (left.some((m) => m.inSyncByRecord !== undefined)) {
    narrow(
      (m) => m.inSyncByRecord === true,
      () => `the engine record has it out of sync (being rebuilt or out of the raid)`,
    );
    if (left.length === 1) return decide(left[0]!.name, 'record', `the only member the engine record holds in sync`);
  }

  if (left.some((m) => m.newestSuperblock !== undefined)) {
    narrow(
      (m) => m.newestSuperblock === true,
      () => `spdk_tgt's examine left it out of the raid it assembled from the newest superblock (an older sequence)`,
    );
    if (left.length === 1) return decide(left[0]!.name, 'superblock', `the raid spdk_tgt's examine assembled from the newest superblock holds it`);
  }

  const chained = left.filter((m) => m.snapshots !== undefined);
  if (chained.length > 1) {
    const newerThan = (a: MemberEvidence, b: MemberEvidence): boolean => newerChain(a.snapshots!, b.snapshots!);
    narrow(
      (m) => !chained.some((o) => o !== m && m.snapshots !== undefined && newerThan(o, m)),
      (m) => `its snapshot chain is older than ${chained.find((o) => o !== m && newerThan(o, m))!.name}'s`,
    );
    if (left.length === 1) {
      const source = left[0]!;
      return decide(source.name, 'snapshots', `its snapshot chain (${source.snapshots!.join(', ')}) holds every other member's newest snapshot and more`);
    }
  }

  const first = left[0]!;
  for (const m of left.slice(1)) why.set(m.name, `listed after ${first.name}, and nothing before told them apart`);
  return decide(first.name, 'order', `listed first of ${left.map((m) => m.name).join(', ')}, which nothing before told apart`);
}

/** `a` holds `b`'s newest snapshot (or `b` has none) and at least one more after it. */
function newerChain(a: readonly string[], b: readonly string[]): boolean {
  const newest = b.at(-1);
  if (newest === undefined) return a.length > 0;
  const at = a.indexOf(newest);
  return at >= 0 && at < a.length - 1;
}

/**
 * Reads what a member's node says of it: the head's allocation (read from spdk_tgt now) and its
 * snapshot chain (with each snapshot's own allocation). A node that cannot be asked leaves both unknown: the member may hold data.
 */
export class SalvageProbe {
  constructor(
    /** This node (its own replicas). */
    private readonly self: Pick<PeerNode, 'replicaGet' | 'snapshotList'>,
    private readonly peers: PeerDirectory,
  ) {}

  async evidence(members: ReadonlyArray<Readonly<EngineReplicaSpec>>, options?: CallOptions): Promise<MemberEvidence[]> {
    return Promise.all(
      members.map(async (member): Promise<MemberEvidence> => {
        const node = member.kind === 'local' ? this.self : member.apiAddress ? this.peers.peer(member.apiAddress) : undefined;
        if (!node) return { name: member.name, empty: undefined };
        try {
          const info = await node.replicaGet(member.name, options);
          if (info.snapshotCount === 0) return { name: member.name, empty: info.allocatedBytes === 0, snapshots: [] };
          const chain = await node.snapshotList(member.name, options);
          // Snapshots of a head never written hold no cluster either (an operator's snapshot of a fresh replica).
          const empty = info.allocatedBytes === 0 && chain.every((s) => s.allocatedBytes === 0);
          return { name: member.name, empty, snapshots: chain.map((s) => s.name) };
        } catch {
          return { name: member.name, empty: undefined };
        }
      }),
    );
  }
}
