/**
 * The snapshot-preserving path of a rebuild: choosing it (or saying why the raid rebuild must do),
 * copying the volume's snapshot chain to the new replica through its peers, and checking afterwards
 * that no snapshot was taken meanwhile. The rebuild's lifecycle (queue, raid, end) is rebuilds.ts's.
 *
 * Each snapshot, oldest first: the source replica's node shallow-copies the snapshot's own clusters
 * over NVMe/TCP into the new replica's head, whose node then snapshots the head under the same name
 * (the head becomes that snapshot's clone, ready for the next). The source node gets access to the
 * new replica's export for the copy and loses it on every path.
 *
 * A new replica whose export requires DH-HMAC-CHAP or TLS gets, for the copy alone, one more host:
 * copyHostNqn(replica), with secrets this node makes for the copy (bidirectional DH-HMAC-CHAP, or
 * a TLS PSK on a TLS export). This node gives them to the new replica's node (EXPOSE_MODE_ADD: the
 * other hosts keep their keys) and to the source node with the copy request, which holds them in
 * its keyring while it copies; the host is removed again (EXPOSE_MODE_REMOVE) on every path. The
 * secrets go only to peers called over mutual TLS (or to this node itself), are never logged nor
 * recorded, and are worth nothing once the host is gone. Without mutual TLS the raid path copies
 * the data and the snapshots are not copied (the reason says so).
 */
import { ConductorError } from '../../errors.js';
import type { DomainContext } from '../node/context.js';
import type { EngineRecords } from '../engine/engine-records.js';
import type { EngineStatus } from '../engine/engine-status.js';
import type { EngineReplicaSpec, HostSecrets, RebuildInfo, RebuildPath, SnapshotCopyInfo, SnapshotInfo } from '../model.js';
import type { PeerDirectory, PeerNode } from '../peers.js';
import { hasKeys } from '../node/keys.js';
import { copyHostNqn } from '../node/naming.js';
import { newDhchapSecret, newTlsPsk } from '../../validation/nvme-secrets.js';
import { afterCopy, recordedIdentical } from '../engine/volume-snapshots.js';

/** A peer that does not answer in this time is treated as unable to copy. */
const PEER_PROBE_MS = 5_000;

/** What the path needs of a rebuild. */
export interface PathJob {
  readonly info: RebuildInfo;
  readonly member: EngineReplicaSpec;
  readonly abort: AbortController;
  /** Restarted after dying while copying: data already in the new head is ours. */
  readonly resumedCopy: boolean;
}

/** What the copy tells the rebuild as it goes. */
export interface CopyHooks {
  /** Called once, when the copy phase begins (the rebuild records it for a restart). */
  enteredCopy(): Promise<void>;
  progress(bytesDone: number): void;
  /** The volume's size: the raid rebuild that follows copies it all. */
  volumeBytes: number;
}

export interface Plan {
  path: RebuildPath;
  reason: string;
  snapshots: SnapshotInfo[];
  /** Snapshots already on the new replica (a restarted rebuild): not copied again. */
  skip?: number;
  source?: { replica: string; peer: PeerNode; hostNqn: string };
  destination?: { peer: PeerNode; hosts: string[]; export: { address: string; port: number; nqn: string } | undefined };
  /**
   * Set when the new replica's export requires DH-HMAC-CHAP or TLS: the copy attaches as this host
   * with per-copy keys (a PSK when the export is TLS), made when the copy starts.
   */
  copyHost?: { nqn: string; tls: boolean };
}

export class SnapshotPath {
  constructor(
    private readonly ctx: Pick<DomainContext, 'log'>,
    private readonly records: EngineRecords,
    private readonly status: EngineStatus,
    private readonly peers: PeerDirectory,
    private readonly self: PeerNode,
  ) {}

  async plan(job: PathJob): Promise<Plan> {
    const { info, member } = job;
    const raid = (reason: string): Plan => ({ path: 'raid', reason, snapshots: [] });
    const spec = this.records.get(info.engine);
    if (!spec) throw new ConductorError('ENGINE_NOT_FOUND', `engine ${info.engine} was deleted`);
    const destination = this.peerOf(member);
    if (!destination) return raid(`replica ${member.name} has no api_address: its node cannot be asked to take snapshots`);
    const healthy = (await this.status.info(spec)).members.filter((m) => m.state === 'healthy' && m.name !== member.name);
    const candidates = healthy.map((m) => spec.replicas.find((r) => r.name === m.name)!).sort((a, b) => (a.kind === 'local' ? -1 : b.kind === 'local' ? 1 : 0));
    const source = candidates.find((c) => this.peerOf(c) !== undefined);
    if (!source) return raid(healthy.length === 0 ? 'no healthy member to copy snapshots from' : 'no healthy member has an api_address: snapshots cannot be read from its node');
    info.sourceReplica = source.name;
    const sourcePeer = this.peerOf(source)!;
    const probe = { deadlineMs: PEER_PROBE_MS, signal: job.abort.signal };
    // The two nodes are asked at once; each node's two questions too.
    const [sourceSide, destinationSide] = await Promise.allSettled([
      Promise.all([sourcePeer.nodeInfo(probe), sourcePeer.snapshotList(source.name, probe)]),
      Promise.all([destination.replicaGet(member.name, probe), destination.snapshotList(member.name, probe)]),
    ]);
    if (sourceSide.status === 'rejected') return raid(`${sourcePeer.where} (source ${source.name}) did not answer: ${(sourceSide.reason as Error).message}`);
    const [sourceInfo, chain] = sourceSide.value;
    if (!sourceInfo.shallowCopy) return raid(`spdk_tgt on ${sourcePeer.where} (${sourceInfo.spdkVersion}) has no bdev_lvol_start_shallow_copy`);
    if (chain.length === 0) return raid(`source ${source.name} has no snapshots: the raid rebuild copies everything there is`);
    // A superblock raid writes its superblock into each member's first clusters, so a snapshot of a
    // member holds it too (spdk_tgt examines such snapshots and fails them, EINVAL: recording 21).
    // A new head cloned from the copied chain would carry it, and spdk_tgt v26.05 refuses to add a
    // bdev whose superblock is this raid's but does not list it (-22), with no RPC to clear it.
    if (spec.superblock) {
      return raid(
        `engine ${spec.name} keeps a raid superblock on its members and ${source.name}'s snapshots carry it; spdk_tgt refuses a new member cloned from them, so the raid rebuild copies the data and the snapshots are not copied`,
      );
    }
    if (destinationSide.status === 'rejected') return raid(`${destination.where} (new replica ${member.name}) did not answer: ${(destinationSide.reason as Error).message}`);
    const [target, destinationSnapshots] = destinationSide.value;
    // A protected export: the source node attaches as a per-copy host with per-copy keys, which
    // are sent only where no one else can read them (this node, or a peer over mutual TLS).
    const copyHost = copyHostNqn(member.name);
    const guarded = (member.kind === 'remote' && hasKeys(member.keys)) || target.export?.secureChannel === true || (target.export?.hostAuth?.some((h) => h.dhchap !== 'none' || h.tls) ?? false);
    if (guarded) {
      const open = [...new Set([sourcePeer, destination])].filter((p) => !p.confidential);
      if (open.length > 0) {
        return raid(
          `new replica ${member.name}'s export requires DH-HMAC-CHAP or TLS, and calls to ${open.map((p) => p.where).join(' and ')} are not over mutual TLS (client.tls.* is not set): the copy's keys are not sent in the clear, so its snapshots are not copied`,
        );
      }
    }
    const existing = destinationSnapshots.map((s) => s.name);
    const prefix = chain.slice(0, existing.length).map((s) => s.name);
    if (existing.some((name, i) => name !== prefix[i])) {
      return raid(`new replica ${member.name} has snapshots (${existing.join(', ')}) that are not the start of ${source.name}'s chain (${chain.map((s) => s.name).join(', ')})`);
    }
    // A snapshot already on the new replica is skipped only if this rebuild made it (a resumed
    // copy: its first plan found none it could not trust), or the volume snapshot record says a
    // copy made it identical to the source's: same names prove nothing (volume snapshots are
    // taken under possible writes, volume-snapshots.ts).
    const untrusted = job.resumedCopy ? [] : existing.filter((name) => !recordedIdentical(spec, name, source.name, member.name));
    if (untrusted.length > 0) {
      return raid(`new replica ${member.name} already has snapshot${untrusted.length > 1 ? 's' : ''} ${untrusted.join(', ')} that nothing recorded as identical to ${source.name}'s`);
    }
    if (target.allocatedBytes > 0 && existing.length === 0 && !job.resumedCopy)
      return raid(`new replica ${member.name} already holds data (${target.allocatedBytes} bytes): its snapshots could not match the source's`);
    return {
      path: 'snapshot-preserving',
      reason: `${plural(chain.length, 'snapshot')} copied from ${source.name} on ${sourcePeer.where} (${sourceInfo.spdkVersion} has shallow copy)`,
      snapshots: chain,
      skip: existing.length,
      source: { replica: source.name, peer: sourcePeer, hostNqn: sourceInfo.hostNqn },
      // A resumed copy may have died before withdrawing the source node's access: it was ours to
      // give. The copy host is only ever ours.
      destination: {
        peer: destination,
        hosts: (target.export?.hostNqns ?? []).filter((h) => (!job.resumedCopy || h !== sourceInfo.hostNqn) && h !== copyHost),
        export: target.export,
      },
      ...(guarded ? { copyHost: { nqn: copyHost, tls: target.export ? target.export.secureChannel === true : member.kind === 'remote' && member.keys?.psk !== undefined } } : {}),
    };
  }

  /**
   * Snapshots taken on the volume while it rebuilt are not on the new replica (or, taken on it
   * mid-copy, hold partial data): said in the rebuild's reason rather than left unnoticed. A
   * check that cannot be made (a peer gone) says nothing.
   */
  async drift(job: PathJob, plan: Plan): Promise<string | undefined> {
    if (!plan.source || !plan.destination) return undefined;
    const probe = { deadlineMs: PEER_PROBE_MS };
    try {
      const [source, target] = await Promise.all([plan.source.peer.snapshotList(plan.source.replica, probe), plan.destination.peer.snapshotList(job.member.name, probe)]);
      const copied = new Set(plan.snapshots.map((s) => s.name));
      const missing = source.filter((s) => !target.some((t) => t.name === s.name)).map((s) => s.name);
      const foreign = target.filter((t) => !copied.has(t.name)).map((t) => t.name);
      if (missing.length === 0 && foreign.length === 0) return undefined;
      const parts = [
        ...(missing.length ? [`snapshots taken during the rebuild are not on it (${missing.join(', ')})`] : []),
        ...(foreign.length ? [`snapshots taken on it during the rebuild may hold partial data (${foreign.join(', ')})`] : []),
      ];
      this.ctx.log.warn({ engine: job.info.engine, replica: job.info.replica, missing, foreign }, "the new replica's snapshots differ from the source's: snapshots were taken during the rebuild");
      return parts.join('; ');
    } catch {
      return undefined;
    }
  }

  /** Oldest first: copy the snapshot's own clusters into the new head, then snapshot the head under the same name. */
  async copy(job: PathJob, plan: Plan, hooks: CopyHooks): Promise<void> {
    const { info, member } = job;
    const { source, destination } = plan;
    if (!source || !destination) return;
    const signal = job.abort.signal;
    info.state = 'copying-snapshots';
    info.reason = `copying ${plural(plan.snapshots.length, 'snapshot')} from ${source.replica}`;
    await hooks.enteredCopy();
    info.snapshots = plan.snapshots.map((s, i): SnapshotCopyInfo => ({ name: s.name, state: i < (plan.skip ?? 0) ? 'skipped' : 'pending', copiedClusters: 0, totalClusters: 0 }));
    const snapshotBytes = plan.snapshots.slice(plan.skip ?? 0).reduce((n, s) => n + s.allocatedBytes, 0);
    info.bytesTotal = snapshotBytes + hooks.volumeBytes;
    const hosts = [...new Set([...destination.hosts, source.hostNqn])];
    let exposed = destination.export;
    let copiedBytes = 0;
    // Per-copy secrets for a protected export: in memory only, given to the two nodes that need them.
    const access = plan.copyHost && { nqn: plan.copyHost.nqn, secrets: copySecrets(plan.copyHost.tls) };
    try {
      // Not cut short by a cancel: an expose the peer finishes after we stopped waiting would
      // leave the source's access behind. Its outcome is known, and the finally withdraws it.
      if (access) {
        // Added beside the hosts there (they keep their keys), or made with it alone.
        const mode = destination.export ? 'add' : undefined;
        exposed = (await destination.peer.replicaExpose(member.name, [access.nqn], { deadlineMs: PEER_PROBE_MS }, mode, new Map([[access.nqn, access.secrets]]))).export;
        this.ctx.log.info(
          { engine: info.engine, replica: member.name, copyHost: access.nqn, auth: plan.copyHost!.tls ? 'tls' : 'dhchap bidirectional' },
          "the new replica's export requires authentication: the copy attaches as a per-copy host with per-copy keys",
        );
      } else if (!exposed || !destination.hosts.includes(source.hostNqn)) exposed = (await destination.peer.replicaExpose(member.name, hosts, { deadlineMs: PEER_PROBE_MS }, 'replace')).export;
      if (!exposed) throw new ConductorError('SPDK_INCONSISTENT', `new replica ${member.name} has no export after exposing it`);
      signal.throwIfAborted();
      for (const [i, snapshot] of plan.snapshots.entries()) {
        if (i < (plan.skip ?? 0)) continue;
        const entry = info.snapshots[i]!;
        entry.state = 'copying';
        const copying = `copying snapshot ${snapshot.name} (${i + 1} of ${plan.snapshots.length}) from ${source.replica}`;
        info.reason = copying;
        let waitedFor = '';
        const final = await source.peer.snapshotShallowCopy(
          source.replica,
          snapshot.name,
          { address: exposed.address, port: exposed.port, nqn: exposed.nqn, ...(access ? { host: access } : {}) },
          (p) => {
            // The source node copies a snapshot once at a time: a backup's stage of it goes first.
            const w = p.waitingFor;
            const how = w?.totalClusters ? `, ${w.copiedClusters ?? 0} of ${w.totalClusters} clusters copied` : '';
            const reason = w ? `${copying}: waits for ${w.holder}'s copy of the snapshot to end${how}` : copying;
            if ((w?.holder ?? '') !== waitedFor) {
              waitedFor = w?.holder ?? '';
              this.ctx.log.info(
                { engine: info.engine, replica: member.name, snapshot: snapshot.name, waitingFor: w },
                w ? 'the snapshot copy waits for another copy of it on the source' : 'the snapshot copy runs',
              );
            }
            info.reason = reason;
            if (w) return;
            entry.copiedClusters = p.copiedClusters;
            entry.totalClusters = p.totalClusters;
            hooks.progress(copiedBytes + p.copiedClusters * p.clusterSizeBytes);
          },
          { signal },
        );
        copiedBytes += final.copiedClusters * final.clusterSizeBytes;
        await destination.peer.snapshotCreate({ replicaName: member.name, name: snapshot.name, labels: snapshot.labels, userCreated: snapshot.userCreated }, { signal });
        entry.state = 'copied';
        await this.records.edit(info.engine, async (edit) => {
          const next = edit.current && afterCopy(edit.current, snapshot.name, source.replica, member.name);
          if (next) await edit.setVolumeSnapshot(snapshot.name, next);
        });
        this.ctx.log.info({ engine: info.engine, replica: member.name, snapshot: snapshot.name, clusters: final.copiedClusters }, 'snapshot copied to the new replica');
      }
    } finally {
      // The source node's access (or the copy host's) is withdrawn on every path (a best effort if
      // that node is gone); a replica that was not exposed before is unexposed again.
      if (access || !destination.hosts.includes(source.hostNqn)) {
        const bounded = { deadlineMs: PEER_PROBE_MS };
        const withdraw =
          destination.hosts.length === 0
            ? destination.peer.replicaUnexpose(member.name, bounded)
            : access
              ? destination.peer.replicaExpose(member.name, [access.nqn], bounded, 'remove')
              : destination.peer.replicaExpose(member.name, destination.hosts, bounded, 'replace');
        const whose = access ? "the copy host's" : "the source node's";
        await withdraw.catch((e: unknown) => this.ctx.log.warn({ replica: member.name, err: (e as Error).message }, `cannot withdraw ${whose} access to the new replica`));
      }
    }
    info.bytesDone = copiedBytes;
  }

  peerOf(member: EngineReplicaSpec): PeerNode | undefined {
    if (member.kind === 'local') return this.self;
    return member.apiAddress ? this.peers.peer(member.apiAddress) : undefined;
  }
}

/** Secrets for one copy: bidirectional DH-HMAC-CHAP (each side proves itself), or a PSK for a TLS export (all its hosts need one). */
function copySecrets(tls: boolean): HostSecrets {
  return tls ? { psk: newTlsPsk() } : { dhchapKey: newDhchapSecret(), dhchapCtrlrKey: newDhchapSecret() };
}

export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
