/**
 * The source side of a snapshot-preserving rebuild: one snapshot's own clusters are copied by
 * spdk_tgt's shallow copy into an NVMe-oF target (the new replica's head on another node), which
 * this node attaches for the copy as controller cp.<replica> and detaches afterwards.
 *
 * Nothing here needs the other node to clean up: the controller is ours and is detached on every
 * path (done, failed, aborted); an abort detaches at once, which stops spdk_tgt's copy with an
 * error. A copy controller left by a restart is removed by recovery (recoverCopies).
 *
 * A target that requires DH-HMAC-CHAP or TLS names the host to attach as and its secrets
 * (CopyTarget.host): they are put in the keyring under the copy's own key user
 * (`copy/<replica>/<host NQN>`) just before the attach and released right after the detach, on every
 * path; a restart releases them (recovery: no copy outlives the process). Never logged.
 *
 * The snapshot is held (backup/copy-holds.ts) from the start until spdk_tgt reports the copy's
 * end, also for a copy given up: v26.05 half-deletes a snapshot a copy reads, so a snapshot
 * delete meanwhile is taken and done once the copy ends, as during a backup's stage.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { ShallowCopyStatus } from '../../spdk/methods/lvol.js';
import type { NvmeController } from '../../spdk/methods/nvme.js';
import type { DomainContext } from '../node/context.js';
import type { EngineDeps } from '../engine/engines.js';
import { waitBdevGone } from '../engine/members.js';
import type { CopyTarget, ShallowCopyProgress } from '../model.js';
import { alias, checkName, copyControllerName, parseCopyController, snapshotLvolName } from '../node/naming.js';
import { portProblem } from '../../validation/network.js';
import { nqnProblem } from '../../validation/nqn.js';
import type { Replicas } from '../replica/replicas.js';
import type { CopyTicket } from '../backup/copy-holds.js';
import { deleteQuietly, translate } from '../node/spdk-verdicts.js';
import { copyKeyUser, keyParams } from '../node/keys.js';

/** How often spdk_tgt is asked how far a copy got: soon at first (small copies end in ms), then calmer. */
const POLL_FIRST_MS = 5;
const POLL_MAX_MS = 100;
/** How long a given-up copy is waited for to end in spdk_tgt, and how often it is asked. */
const COPY_END_WAIT_MS = 5 * 60_000;
const COPY_END_POLL_MS = 50;

export class ShallowCopies {
  /** The key users of the copies that hold keys now (key-users.ts: those are not leftovers). */
  private readonly running = new Set<string>();

  constructor(
    private readonly ctx: Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'admission' | 'locks' | 'log' | 'copyHolds' | 'keys'>,
    private readonly replicas: Replicas,
    private readonly deps: Pick<EngineDeps, 'attachParams' | 'engineHostNqn' | 'memberGoneTimeoutMs'>,
  ) {}

  /** Whether the copy whose key user this is runs now (key-users.ts: its keys are not a leftover). */
  copying(keyUser: string): boolean {
    return this.running.has(keyUser);
  }

  async copy(replicaName: string, snapshot: string, target: CopyTarget, onProgress: (p: ShallowCopyProgress) => void, options?: CallOptions): Promise<ShallowCopyProgress> {
    const replica = checkName('replica', replicaName);
    checkName('snapshot', snapshot);
    const problem = nqnProblem(target.nqn);
    if (problem) throw new ConductorError('INVALID_NQN', problem, { field: 'target_nqn' });
    const portTrouble = portProblem(target.port);
    if (portTrouble) throw new ConductorError('INVALID_ADDRESS', `target port ${portTrouble}`, { field: 'target_port' });
    // One copy out of a replica at a time: the copy controller's name is per replica.
    return this.ctx.locks.with(`copy:${replica}`, async () => {
      const head = this.replicas.head(replica);
      const source = this.ctx.inventory.lvol(head.disk, snapshotLvolName(replica, snapshot));
      if (!source) throw new ConductorError('SNAPSHOT_NOT_FOUND', `replica ${replica} has no snapshot ${snapshot}`);
      const clusterSizeBytes = this.ctx.inventory.disks.get(head.disk)?.clusterSize ?? 0;
      const controller = copyControllerName(replica);
      /** spdk_tgt's copy, once started; `ended` once it reported its end. */
      let operation: number | undefined;
      let ended = false;
      let ticket: CopyTicket | undefined;
      let reservation: { release(): void } | undefined;
      const keyUser = target.host && copyKeyUser(replica, target.host.nqn);
      if (keyUser) this.running.add(keyUser);
      try {
        // One copy of a snapshot at a time (spdk_tgt ends a second one EBUSY): a backup's stage of
        // it runs first, told to the caller with its progress until it ends, within the caller's
        // signal and deadline. Recorded as well (the state file's copies): a copy runs on when this
        // process dies.
        let waitingFor: string | undefined;
        ticket = await this.ctx.copyHolds.begin(head.disk, source.name, `rebuild copy of ${replica}`, `${controller}n1`, {
          ...(options?.signal ? { signal: options.signal } : {}),
          ...(options?.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
          onWait: (hold) => {
            if (waitingFor !== hold.holder) {
              waitingFor = hold.holder;
              this.ctx.log.info(
                { replica, snapshot, reader: hold.holder, progress: hold.progress },
                'another copy reads the snapshot (spdk_tgt would refuse a second one, EBUSY): waiting for its end',
              );
            }
            const progress = hold.progress ? { copiedClusters: hold.progress.copied, totalClusters: hold.progress.total } : {};
            onProgress({ state: 'in progress', copiedClusters: 0, totalClusters: 0, clusterSizeBytes, waitingFor: { holder: hold.holder, ...progress } });
          },
        });
        if (waitingFor !== undefined) this.ctx.log.info({ replica, snapshot, after: waitingFor }, 'the other copy of the snapshot ended: copying');
        reservation = await this.ctx.admission.admit({ kind: 'attach', what: `copy of snapshot ${snapshot} of ${replica}`, controllers: 1 }, options);
        // The target's keys, for this copy alone (released in the finally, after the detach).
        const keys = keyUser ? keyParams(await this.ctx.keys.hold(keyUser, target.host!.secrets, options)) : {};
        const bdevs = await this.ctx.spdk.nvme.attachController(
          {
            name: controller,
            trtype: 'tcp',
            adrfam: 'ipv4',
            traddr: target.address,
            trsvcid: String(target.port),
            subnqn: target.nqn,
            hostnqn: target.host?.nqn ?? this.deps.engineHostNqn,
            ...this.deps.attachParams(),
            ...keys,
          },
          { deadlineMs: options?.deadlineMs },
        );
        const dst = bdevs[0] ?? `${controller}n1`;
        const src = alias(head.disk, source.name);
        const status = await runShallowCopy(
          this.ctx,
          snapshot,
          src,
          dst,
          (s) => {
            ticket?.progress(s.copied_clusters, s.total_clusters);
            onProgress({ state: s.state, copiedClusters: s.copied_clusters, totalClusters: s.total_clusters, clusterSizeBytes });
          },
          async (started) => {
            operation = started;
            this.ctx.log.info({ replica, snapshot, target: `${target.address}:${target.port}`, operation }, 'shallow copy started');
            await ticket?.started(started);
          },
          options,
        );
        ended = true;
        this.ctx.log.info({ replica, snapshot, clusters: status.total_clusters }, 'shallow copy complete');
        return { state: status.state, copiedClusters: status.copied_clusters, totalClusters: status.total_clusters, clusterSizeBytes };
      } catch (error) {
        if (options?.signal?.aborted) throw new ConductorError('CANCELLED', `copy of snapshot ${snapshot} of ${replica} was cancelled`);
        throw translate(error, `shallow copy of snapshot ${snapshot} of ${replica}`);
      } finally {
        reservation?.release();
        // Not under the caller's signal: the detach must happen also when the caller went away.
        await this.detach(controller).catch((e: unknown) => this.ctx.log.error({ controller, err: (e as Error).message }, 'copy controller not detached; recovery will remove it'));
        // After the detach: a key removed while the controller still held it would stay listed (removed: true).
        if (keyUser) {
          await this.ctx.keys
            .release(keyUser)
            .then(() => this.ctx.log.info({ replica, snapshot }, "the copy's keys are out of the keyring"))
            .catch((e: unknown) => this.ctx.log.error({ replica, err: (e as Error).message }, "the copy's keys not released; the next start releases them"));
          this.running.delete(keyUser);
        }
        // A copy given up (an abort, a failed check) runs on in spdk_tgt until the detach fails it:
        // the snapshot stays held until spdk_tgt says it ended, without keeping the caller waiting.
        const release = () => ticket?.release();
        if (operation === undefined || ended) release();
        else void waitCopyEnd(this.ctx, operation).finally(release);
      }
    });
  }

  private async detach(controller: string): Promise<void> {
    await deleteQuietly(this.ctx, () => this.ctx.spdk.nvme.detachController({ name: controller }));
    await waitBdevGone(this.ctx, `${controller}n1`, this.deps.memberGoneTimeoutMs);
  }
}

/** A copy's status short of an error (errors are thrown). */
export type RunningCopyStatus = Omit<ShallowCopyStatus, 'state' | 'error'> & { state: 'in progress' | 'complete' };

/**
 * One shallow copy in spdk_tgt, from start to its final state: the snapshot `src` ("lvs/lvol")
 * into the bdev `dst`, polled soon at first (small copies end in ms), then calmer. Every status
 * goes to onStatus; an error state (a writable source, a destination smaller than the snapshot:
 * transcript 20 shows both only here, not at the start) is thrown with spdk_tgt's reason, naming
 * the copy as `what` (e.g. "snapshot s1 of r1"). Backups
 * (domain/backup) use it into a staging aio bdev, rebuilds into a peer's NVMe-oF target.
 */
export async function runShallowCopy(
  ctx: Pick<DomainContext, 'spdk'>,
  what: string,
  src: string,
  dst: string,
  onStatus: (status: RunningCopyStatus) => void,
  onStarted: (operation: number) => void | Promise<void>,
  options?: CallOptions,
): Promise<RunningCopyStatus> {
  const operation = await startShallowCopy(ctx, src, dst, options);
  await onStarted(operation);
  for (let poll = POLL_FIRST_MS; ; poll = Math.min(POLL_MAX_MS, poll * 2)) {
    options?.signal?.throwIfAborted();
    const status = await ctx.spdk.lvol.checkShallowCopy(operation, options);
    if (status.state === 'error') throw new ConductorError('SPDK_INCONSISTENT', `shallow copy of ${what} failed in spdk_tgt: ${status.error ?? 'no reason given'}`);
    const running = { ...status, state: status.state };
    onStatus(running);
    if (running.state === 'complete') return running;
    await sleep(poll, undefined, { signal: options?.signal });
  }
}

/**
 * Waits for a copy that was given up to end in spdk_tgt ("complete" or "error", or forgotten: -19).
 * Bounded by COPY_END_WAIT_MS; past it, or when spdk_tgt cannot be asked, it returns false (logged).
 */
export async function waitCopyEnd(ctx: Pick<DomainContext, 'spdk' | 'client' | 'log'>, operation: number): Promise<boolean> {
  const deadline = Date.now() + COPY_END_WAIT_MS;
  while (Date.now() < deadline) {
    let state: string;
    try {
      state = (await ctx.spdk.lvol.checkShallowCopy(operation)).state;
    } catch (error) {
      // -19: spdk_tgt forgot it, having reported its end already.
      if (ctx.client.verdictOf(error) === 'gone') return true;
      ctx.log.warn({ operation, err: (error as Error).message }, 'could not ask spdk_tgt whether a given-up shallow copy ended');
      return false;
    }
    if (state !== 'in progress') return true;
    await sleep(COPY_END_POLL_MS);
  }
  ctx.log.warn({ operation }, 'a given-up shallow copy is still running past the wait');
  return false;
}

/** spdk_tgt refuses a start while examine still holds a just-attached bdev (transcript 07): wait for examine once and retry. */
async function startShallowCopy(ctx: Pick<DomainContext, 'spdk'>, src: string, dst: string, options?: CallOptions): Promise<number> {
  try {
    return (await ctx.spdk.lvol.startShallowCopy({ src_lvol_name: src, dst_bdev_name: dst }, options)).operation_id;
  } catch (error) {
    if (!(error instanceof Error) || !/Operation not permitted/.test(error.message)) throw error;
    await ctx.spdk.bdev.waitForExamine(options);
    return (await ctx.spdk.lvol.startShallowCopy({ src_lvol_name: src, dst_bdev_name: dst }, options)).operation_id;
  }
}

/** After a restart no copy is running: every copy controller is a leftover. */
export async function recoverCopies(ctx: Pick<DomainContext, 'spdk' | 'client' | 'log'>, controllers: readonly NvmeController[], options?: CallOptions): Promise<string[]> {
  const removed: string[] = [];
  for (const controller of controllers) {
    if (parseCopyController(controller.name) === undefined) continue;
    await deleteQuietly(ctx, () => ctx.spdk.nvme.detachController({ name: controller.name }, options));
    removed.push(controller.name);
  }
  if (removed.length) ctx.log.info({ controllers: removed }, 'copy controllers left by a restart removed');
  return removed;
}
