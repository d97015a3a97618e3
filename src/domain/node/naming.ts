/**
 * Every name the service gives an SPDK object, in one place, so that the owner and role of any
 * object can be read back from spdk_tgt alone after a restart:
 *
 *   disk bdev        d.<disk>                 (aio bdev; nvme: controller d.<disk>, bdev d.<disk>n1)
 *   lvstore          lvs.<disk>
 *   replica head     lvs.<disk>/r.<replica>
 *   snapshot         lvs.<disk>/s.<snapshot>.<owner>      owner = 8-char hash of the replica name
 *   revert clone     lvs.<disk>/t.<replica>               (exists only while a revert runs)
 *   subsystem        nqn.2024-11.io.spdk-conductor:replica:<replica>
 *   engine raid      e.<volume>
 *   engine member    controller ec.<volume>.<replica>, bdev ec.<volume>.<replica>n1
 *   volume subsystem nqn.2024-11.io.spdk-conductor:volume:<volume>
 *   copy target      controller cp.<replica>, bdev cp.<replica>n1 (exists only while a snapshot of
 *                    <replica> is shallow-copied to another node during a rebuild)
 *   restore lvol     lvs.<disk>/b.<replica>               (exists only while a restore or full clone
 *                    builds the replica, renamed to r.<replica> once complete; or while the first
 *                    cluster of replica r.<replica> is zeroed, backup/zero-cluster.ts)
 *   restore export   nqn.2024-11.io.spdk-conductor:restore:<replica>, listening on 127.0.0.1 with
 *                    one host, nqn.2024-11.io.spdk-conductor:restore-host (exists only while a
 *                    restore writes b.<replica> over NVMe/TCP, backup/restore-nvmf.ts)
 *   copy host        nqn.2024-11.io.spdk-conductor:copy-host:<replica>, the host a rebuild's copy
 *                    attaches a protected new replica <replica> as, with per-copy keys (a host of
 *                    its export only while the copy runs, rebuild/snapshot-path.ts)
 *   staging bdev     bk-<s|r|t|z>-<16 hex>                (aio bdev over the staging file of the same
 *                    name, domain/backup/staging-area.ts; exists only during a stage, restore or zeroing)
 *   probe raid       zp.<replica>                         (a raid over the replica and a member that
 *                    never exists, engine/stale-superblock.ts; exists only while it is probed)
 *   keyring key      k.<32 hex of a hash of the secret> (DH-HMAC-CHAP and TLS PSK; its file has the
 *                    same name in the key directory)
 *
 * User-given names follow src/validation/names.ts: [a-z0-9-] only, so '.' and ':' never appear in
 * them and parsing is exact, and short enough that every derived name fits SPDK's limits.
 */
import { createHash, hash } from 'node:crypto';
import { ConductorError } from '../../errors.js';
import { nameProblem, type NameKind } from '../../validation/names.js';
import { portProblem } from '../../validation/network.js';

export const NQN_PREFIX = 'nqn.2024-11.io.spdk-conductor';

/**
 * The keyring name of a DH-HMAC-CHAP secret or TLS PSK: the same secret is one key, and 128 bits
 * of a domain-separated SHA-256 say nothing about it.
 */
export function keyName(secret: string): string {
  return `k.${createHash('sha256').update('spdk-conductor nvme key\0').update(secret).digest('hex').slice(0, 32)}`;
}

export function isKeyName(name: string): boolean {
  return /^k\.[0-9a-f]{32}$/.test(name);
}

export function checkName(kind: NameKind, name: unknown): string {
  const problem = nameProblem(kind, name);
  if (problem) throw new ConductorError('INVALID_NAME', problem, { field: `${kind}_name` });
  return name as string;
}

export function diskBdevName(disk: string): string {
  return `d.${disk}`;
}

/** The disk of a bdev named by diskBdevName (aio) or its nvme namespace bdev; undefined otherwise. */
export function parseDiskBdev(bdev: string): { disk: string; kind: 'aio' | 'nvme' } | undefined {
  const match = /^d\.([a-z0-9][a-z0-9-]*?)(n1)?$/.exec(bdev);
  if (!match || nameProblem('disk', match[1])) return undefined;
  return { disk: match[1]!, kind: match[2] ? 'nvme' : 'aio' };
}

export function lvstoreName(disk: string): string {
  return `lvs.${disk}`;
}

export function headLvolName(replica: string): string {
  return `r.${replica}`;
}

export function revertLvolName(replica: string): string {
  return `t.${replica}`;
}

export function restoreLvolName(replica: string): string {
  return `b.${replica}`;
}

/** The replica a restore lvol is being built for; undefined for other lvols. */
export function parseRestoreLvol(name: string): string | undefined {
  const [kind, replica, ...rest] = name.split('.');
  if (kind !== 'b' || rest.length > 0 || !replica || nameProblem('replica', replica)) return undefined;
  return replica;
}

/** The loopback subsystem a restore writes its b.<replica> lvol through (backup/restore-nvmf.ts). */
export function restoreNqn(replica: string): string {
  return `${NQN_PREFIX}:restore:${replica}`;
}

/** The host NQN the service connects to its own restore subsystems with: the only host they allow. */
export const RESTORE_HOST_NQN = `${NQN_PREFIX}:restore-host`;

/**
 * The host a rebuild's shallow copy attaches the new replica `replica` as when its export requires
 * DH-HMAC-CHAP or TLS (rebuild/snapshot-path.ts): allowed on the export only for the copy, with
 * per-copy keys, and never one of an engine's or a user's hosts.
 */
export function copyHostNqn(replica: string): string {
  return `${NQN_PREFIX}:copy-host:${replica}`;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * A short, stable tag of the replica a snapshot belongs to: 40 bits of a hash in base32, so among
 * even thousands of replicas on a node two sharing a tag is a one-in-a-million event (and the
 * snapshot chain in spdk_tgt tells them apart if it happens).
 */
export function ownerTag(replica: string): string {
  let tag = ownerTags.get(replica);
  if (tag === undefined) {
    // Bounded: a node holds a few thousand replicas; past the bound the cache starts over.
    if (ownerTags.size >= OWNER_TAGS_CACHED) ownerTags.clear();
    tag = computeOwnerTag(replica);
    ownerTags.set(replica, tag);
  }
  return tag;
}

/**
 * Tags computed already: every description of a replica counts its snapshots by its tag (a create
 * describes it twice), and a SHA-256 with its buffer each time was a measurable part of a create.
 */
const ownerTags = new Map<string, string>();
const OWNER_TAGS_CACHED = 16_384;

function computeOwnerTag(replica: string): string {
  const bytes = hash('sha256', `replica:${replica}`, 'buffer');
  // 40 bits fit a double exactly; BigInt arithmetic here cost ~20 µs per replica described.
  let bits = 0;
  for (let i = 0; i < 5; i++) bits = bits * 256 + bytes[i]!;
  let tag = '';
  for (let i = 7; i >= 0; i--) tag += BASE32[Math.floor(bits / 2 ** (i * 5)) % 32];
  return tag;
}

export function snapshotLvolName(replica: string, snapshot: string): string {
  return `s.${snapshot}.${ownerTag(replica)}`;
}

export function alias(disk: string, lvol: string): string {
  return `${lvstoreName(disk)}/${lvol}`;
}

export function replicaNqn(replica: string): string {
  return `${NQN_PREFIX}:replica:${replica}`;
}

/** The raid that probes a bdev for another raid's superblock (engine/stale-superblock.ts), and its absent second member. */
export function probeRaidName(replica: string): { raid: string; absent: string } {
  return { raid: `zp.${replica}`, absent: `zp.${replica}.absent` };
}

export function isProbeRaid(name: string): boolean {
  const [kind, replica, ...rest] = name.split('.');
  return kind === 'zp' && rest.length === 0 && replica !== undefined && !nameProblem('replica', replica);
}

export function engineRaidName(volume: string): string {
  return `e.${volume}`;
}

export function engineControllerName(volume: string, replica: string): string {
  return `ec.${volume}.${replica}`;
}

/** bdev_nvme names the namespace bdev of controller X "Xn1". */
export function engineMemberBdev(volume: string, replica: string): string {
  return `${engineControllerName(volume, replica)}n1`;
}

export function volumeNqn(volume: string): string {
  return `${NQN_PREFIX}:volume:${volume}`;
}

/** The controller a snapshot of `replica` is shallow-copied through (one copy per replica at a time). */
export function copyControllerName(replica: string): string {
  return `cp.${replica}`;
}

/** The source replica of a copy controller; undefined for controllers that are not copy targets. */
export function parseCopyController(name: string): string | undefined {
  const [kind, replica, ...rest] = name.split('.');
  if (kind !== 'cp' || rest.length > 0 || !replica || nameProblem('replica', replica)) return undefined;
  return replica;
}

/** The volume and replica of an engine member controller; undefined for controllers not ours. */
export function parseEngineController(name: string): { volume: string; replica: string } | undefined {
  const [kind, volume, replica, ...rest] = name.split('.');
  if (kind !== 'ec' || rest.length > 0 || !volume || !replica) return undefined;
  if (nameProblem('volume', volume) || nameProblem('replica', replica)) return undefined;
  return { volume, replica };
}

export type ParsedLvol = { role: 'head'; replica: string } | { role: 'snapshot'; snapshot: string; ownerTag: string } | { role: 'revert'; replica: string };

/** Reads the role of an lvol from its name; undefined for lvols this service did not make. */
export function parseLvolName(name: string): ParsedLvol | undefined {
  const [kind, first, second, ...rest] = name.split('.');
  if (rest.length > 0 || first === undefined) return undefined;
  if (kind === 'r' && second === undefined && !nameProblem('replica', first)) return { role: 'head', replica: first };
  if (kind === 't' && second === undefined && !nameProblem('replica', first)) return { role: 'revert', replica: first };
  if (kind === 's' && second !== undefined && !nameProblem('snapshot', first) && /^[a-z0-9]{8}$/.test(second)) {
    return { role: 'snapshot', snapshot: first, ownerTag: second };
  }
  return undefined;
}

/** The disk an lvstore belongs to, from its name; undefined for lvstores this service did not make. */
export function parseLvstoreName(name: string): string | undefined {
  if (!name.startsWith('lvs.')) return undefined;
  const disk = name.slice(4);
  return nameProblem('disk', disk) ? undefined : disk;
}

export function parseReplicaNqn(nqn: string): string | undefined {
  const prefix = `${NQN_PREFIX}:replica:`;
  if (!nqn.startsWith(prefix)) return undefined;
  const replica = nqn.slice(prefix.length);
  return nameProblem('replica', replica) ? undefined : replica;
}

/**
 * The namespace identity of an export, derived from the object's name: the same replica always
 * shows the same uuid/nguid to hosts, across restarts and re-exports (hosts and multipath key on it).
 */
export function namespaceIds(kind: 'replica' | 'volume' | 'restore', name: string): { uuid: string; nguid: string } {
  const bytes = hash('sha256', `spdk-conductor:${kind}:${name}`, 'buffer').subarray(0, 16);
  // An RFC 9562 version 8 (custom) UUID: stable, and never mistaken for a random v4.
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return {
    uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
    nguid: hex.toUpperCase(),
  };
}

/** Ports for replica listeners: the lowest free one in [min, max]. */
/** How long a port another process held is skipped before it is tried again. */
export const BUSY_PORT_RECHECK_MS = 10 * 60_000;

export class PortRange {
  private readonly used = new Set<number>();
  /** Ports another process was found to hold, with when: skipped until re-checked. */
  private readonly busy = new Map<number, number>();
  /** No port below this is free (a hint: ports released lower move it down). */
  private lowestFree: number;

  constructor(
    readonly min: number,
    readonly max: number,
    private readonly now: () => number = Date.now,
  ) {
    if (portProblem(min) !== undefined || portProblem(max) !== undefined || min > max) {
      throw new ConductorError('INVALID_CONFIG', `port range ${min}-${max} is not a range of TCP ports`);
    }
    this.lowestFree = min;
  }

  /** Records a port found in use (recovery from spdk_tgt's listeners). */
  markUsed(port: number): void {
    this.used.add(port);
    this.busy.delete(port);
  }

  /**
   * Remembers that another process holds `port` (spdk_tgt could not listen on it): later takes
   * skip it rather than pay a failed listen each, until the range runs out or
   * BUSY_PORT_RECHECK_MS passed. Returns false when it was known already.
   */
  markBusy(port: number): boolean {
    const known = this.busy.has(port);
    this.busy.set(port, this.now());
    return !known;
  }

  /**
   * Takes `prefer` when it is in the range, not ours and not known to be held by another process
   * (the port an object of the same name had before), else the lowest free port; ports held by
   * others are tried again only when no other is left.
   */
  take(prefer?: number): number {
    if (prefer !== undefined && prefer >= this.min && prefer <= this.max && !this.used.has(prefer) && !this.busy.has(prefer)) {
      this.used.add(prefer);
      return prefer;
    }
    const port = this.scan(this.now() - BUSY_PORT_RECHECK_MS);
    if (port !== undefined) return port;
    if (this.busy.size > 0) {
      // Every other port is ours: the busy ones are worth a listen again.
      this.busy.clear();
      const retry = this.scan(Infinity);
      if (retry !== undefined) return retry;
    }
    throw new ConductorError('PORTS_EXHAUSTED', `every port in ${this.min}-${this.max} is in use; widen export.portMin/portMax`);
  }

  release(port: number): void {
    this.used.delete(port);
    if (port < this.lowestFree) this.lowestFree = port;
  }

  get inUse(): number {
    return this.used.size;
  }

  /** Ports known to be held by other processes. */
  get heldByOthers(): number {
    return this.busy.size;
  }

  /** The lowest port neither ours nor held by another process since `staleBefore`. */
  private scan(staleBefore: number): number | undefined {
    let sawBusy = false;
    for (let port = this.lowestFree; port <= this.max; port++) {
      if (this.used.has(port)) continue;
      const busySince = this.busy.get(port);
      if (busySince !== undefined && busySince > staleBefore) {
        sawBusy = true;
        continue;
      }
      this.busy.delete(port);
      this.used.add(port);
      // Ports below are ours or busy; only busy ones may become free without a release.
      if (!sawBusy) this.lowestFree = port + 1;
      return port;
    }
    return undefined;
  }
}
