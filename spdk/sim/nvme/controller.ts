/**
 * One NVMe-oF controller (one path) of bdev_nvme, with spdk_tgt's reset/reconnect machine
 * (bdev_nvme.c): when a qpair goes, the controller resets at once ("resetting"); each failed
 * attempt checks, with elapsed = whole seconds since the loss,
 *   fast_io_fail_timeout_sec: once reached, queued and new I/O fail instead of waiting;
 *   ctrlr_loss_timeout_sec:   once reached (and not -1), the controller is deleted ("deleting",
 *                             its bdev leaves at once, the controller a moment later);
 * otherwise it waits reconnect_delay_sec ("reconnect_is_delayed") and tries again. With
 * reconnect_delay_sec 0 there is no retry: the controller stays "failed".
 *
 * So with 10/2/5 the attempts fail at +0, +2, +4, +6 (fast-io-fail), +8, +10 (deleted) — the
 * timeline of transcripts 02 and 04 — and a 3 s blip ends at the next attempt after it. spdk's
 * delay is a poller period counted in ticks, never short, so the attempt at +10 s finds 10 whole
 * seconds elapsed: Node's timers may fire a little early (they count from the loop's cached
 * time), which would make it 9 and put the deletion off by a whole delay; the wait is therefore
 * measured on the monotonic clock and re-armed until it has really passed.
 */
import { SimIoError } from '../core/contract.js';
import { timerMs } from '../core/timer-ms.js';
import { EIO, ENODEV } from '../fabric/errno.js';
import { encodeIo, FabricStatus, Op, type ConnectAccept, type NamespaceInfo } from '../fabric/protocol.js';
import type { HostCredentials } from './credentials.js';
import { HostQpair, QpairClosed, type ConnectFailed } from './qpair.js';

export type CtrlrState = 'enabled' | 'resetting' | 'reconnect_is_delayed' | 'deleting' | 'failed';

export interface TransportId {
  readonly trtype: 'TCP';
  readonly adrfam: string;
  readonly traddr: string;
  readonly trsvcid: string;
  readonly subnqn: string;
}

export interface PathTimeouts {
  readonly ctrlrLossTimeoutSec: number;
  readonly reconnectDelaySec: number;
  readonly fastIoFailTimeoutSec: number;
}

export interface CtrlrOptions extends PathTimeouts {
  readonly hostnqn: string;
  readonly hostid: string;
  readonly keepAliveTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Keys for DH-HMAC-CHAP and TLS (none when the attach named none). */
  readonly credentials?: HostCredentials;
}

export interface CtrlrEvents {
  /** The namespaces (or their ANA states) changed: after a notice or a reconnect. */
  namespacesChanged(ctrlr: NvmeCtrlr): void;
  /** ctrlr_loss_timeout_sec expired: the controller is being deleted. */
  lost(ctrlr: NvmeCtrlr): void;
  log(event: string, fields?: Record<string, unknown>): void;
}

/** An I/O the path cannot serve but another path might (ANA inaccessible, namespace gone). */
export class PathError extends Error {}

/**
 * How long "deleting" shows before the controller disappears from bdev_nvme_get_controllers: the
 * namespace bdevs' unregistration, then the detach poller; no recording ever caught "deleting",
 * and both were gone 32 ms after the attempt that found ctrlr-loss expired (transcript 15) and
 * by +10.07 s with 10/2/5 (issue 15).
 */
export const DELETE_DELAY_MS = 8;
/**
 * After a failed re-authentication spdk_tgt's host resets the controller again and again, each
 * attempt failing authentication ~130-150 ms after the previous one, whatever the reconnect
 * options say, until it succeeds or is detached (transcript 18).
 */
const AUTH_RETRY_MS = 140;

export class NvmeCtrlr {
  state: CtrlrState = 'resetting';
  cntlid = 0;
  data: ConnectAccept | null = null;
  namespaces: NamespaceInfo[] = [];
  private admin: HostQpair | null = null;
  private io: HostQpair | null = null;
  private resetStartedAt: number | null = null;
  private fastIoFailTimedOut = false;
  private waiters: Array<() => void> = [];
  private reconnectTimer: NodeJS.Timeout | null = null;
  private keepAliveTimer: NodeJS.Timeout | null = null;
  private stalled = false;
  private gone = false;
  /** A re-authentication failed: reconnect until authentication succeeds again. */
  private authRetry = false;

  constructor(
    readonly name: string,
    readonly trid: TransportId,
    readonly opts: CtrlrOptions,
    private readonly events: CtrlrEvents,
  ) {}

  /** The initial connect of bdev_nvme_attach_controller; throws ConnectFailed. */
  async attach(): Promise<void> {
    await this.connect();
    this.state = 'enabled';
  }

  /** Reads or writes through this path; waits while it reconnects (until fast-io-fail). */
  async submit(opcode: typeof Op.READ | typeof Op.WRITE, nsid: number, lba: number, count: number, data?: Buffer): Promise<Buffer> {
    for (;;) {
      if (this.state === 'enabled' && this.io && !this.io.isClosed) {
        let frame;
        try {
          frame = await this.io.request(opcode, encodeIo({ nsid, lba, count }, data));
        } catch (err) {
          if (!(err instanceof QpairClosed)) throw err;
          this.connectionLost('I/O qpair closed');
          continue;
        }
        if (frame.status === 0) return frame.payload;
        if (frame.status === FabricStatus.ANA_INACCESSIBLE || frame.status === FabricStatus.INVALID_NAMESPACE) {
          throw new PathError(`path ${this.trid.trsvcid}: status ${frame.status}`);
        }
        throw new SimIoError(frame.status < 0 && frame.status > -1000 ? frame.status : -EIO, `${this.name}: I/O failed`);
      }
      if (this.recoverable()) {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
        continue;
      }
      throw new SimIoError(this.state === 'deleting' ? -ENODEV : -EIO, `${this.name} is ${this.state}`);
    }
  }

  /** Waiting I/O may still be served later: reconnecting and fast-io-fail not reached. */
  recoverable(): boolean {
    return (this.state === 'resetting' || this.state === 'reconnect_is_delayed') && !this.fastIoFailTimedOut;
  }

  /** The target required DH-HMAC-CHAP and this path passed it. */
  get authenticated(): boolean {
    return this.data?.chap !== undefined;
  }

  get usable(): boolean {
    return this.state === 'enabled' && !this.gone;
  }

  /** bdev_nvme_detach_controller: closes the qpairs and fails whatever waits. */
  detach(): void {
    this.gone = true;
    this.state = 'deleting';
    this.stopTimers();
    this.closeQpairs();
    this.wake();
  }

  /**
   * bdev_nvme_set_keys on this path: the admin qpair, then the I/O qpair, authenticate again
   * with the credentials' current keys. Null on success, else why it failed; the target then
   * drops the controller and it keeps resetting until authentication succeeds (AUTH_RETRY_MS).
   */
  async reauthenticate(): Promise<string | null> {
    const credentials = this.opts.credentials;
    if (!credentials) return 'no credentials';
    for (const qpair of [this.admin, this.io]) {
      if (!qpair || qpair.isClosed) continue;
      const refused = await qpair.reauthenticate(credentials.attempt(this.opts.hostnqn, this.trid.subnqn, false));
      if (refused !== null) {
        this.authRetry = true;
        this.events.log('nvme_ctrlr_reauth_failed', { name: this.name, trsvcid: this.trid.trsvcid, reason: refused });
        return refused;
      }
    }
    this.events.log('nvme_ctrlr_reauthenticated', { name: this.name, trsvcid: this.trid.trsvcid });
    return null;
  }

  /** sim_fabric_cut: the connection drops now (the target stays up). */
  cut(): void {
    this.admin?.close();
    this.io?.close();
  }

  /** sim_fabric_blackhole: this host stops talking on the path (and hears nothing) until resumed. */
  setStalled(stalled: boolean): void {
    this.stalled = stalled;
    this.admin?.setStalled(stalled);
    this.io?.setStalled(stalled);
  }

  private async connect(): Promise<void> {
    const endpoint = { traddr: this.trid.traddr, trsvcid: this.trid.trsvcid };
    const base = {
      subnqn: this.trid.subnqn,
      hostnqn: this.opts.hostnqn,
      hostid: this.opts.hostid,
      kato: this.opts.keepAliveTimeoutMs,
    };
    const auth = () => this.opts.credentials?.attempt(this.opts.hostnqn, this.trid.subnqn, true);
    const admin = await HostQpair.open(endpoint, { ...base, qid: 0 }, this.opts.connectTimeoutMs, auth());
    let io: HostQpair;
    try {
      ({ qpair: io } = await HostQpair.open(endpoint, { ...base, qid: 1, cntlid: admin.accept.cntlid }, this.opts.connectTimeoutMs, auth()));
    } catch (err) {
      admin.qpair.close();
      throw err;
    }
    if (this.gone) {
      admin.qpair.close();
      io.close();
      throw new QpairClosed('detached while connecting');
    }
    this.admin = admin.qpair;
    this.io = io;
    this.cntlid = admin.accept.cntlid;
    this.data = admin.accept;
    this.namespaces = admin.accept.namespaces;
    if (this.stalled) this.setStalled(true);
    for (const q of [admin.qpair, io]) q.onClose(() => this.connectionLost('qpair closed'));
    admin.qpair.onNotice((notice) => {
      this.namespaces = notice.namespaces;
      this.events.namespacesChanged(this);
    });
    this.startKeepAlive();
  }

  private startKeepAlive(): void {
    if (this.opts.keepAliveTimeoutMs === 0) return;
    // spdk_tgt's host sends a keep-alive every kato/2; it does not time them out itself.
    this.keepAliveTimer = setInterval(
      () => {
        this.admin?.request(Op.KEEP_ALIVE).catch(() => {});
      },
      Math.max(1, Math.floor(this.opts.keepAliveTimeoutMs / 2)),
    );
    this.keepAliveTimer.unref();
  }

  private connectionLost(reason: string): void {
    if (this.state !== 'enabled' || this.gone) return;
    this.events.log('nvme_ctrlr_lost', { name: this.name, trsvcid: this.trid.trsvcid, reason });
    this.resetStartedAt = performance.now();
    this.state = 'resetting';
    this.stopTimers();
    this.closeQpairs();
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    this.state = 'resetting';
    try {
      await this.connect();
    } catch (err) {
      if (this.gone) return;
      this.attemptFailed(err as ConnectFailed);
      return;
    }
    if (this.gone) return;
    this.events.log('nvme_ctrlr_reconnected', { name: this.name, trsvcid: this.trid.trsvcid, cntlid: this.cntlid });
    this.authRetry = false;
    this.state = 'enabled';
    this.resetStartedAt = null;
    this.fastIoFailTimedOut = false;
    this.events.namespacesChanged(this);
    this.wake();
  }

  private attemptFailed(err: ConnectFailed): void {
    const now = performance.now();
    const elapsedSec = Math.floor((now - (this.resetStartedAt ?? now)) / 1000);
    this.events.log('nvme_ctrlr_reset_failed', { name: this.name, trsvcid: this.trid.trsvcid, elapsedSec, reason: err.message });
    if (this.authRetry) {
      this.state = 'resetting';
      this.reconnectAfter(AUTH_RETRY_MS);
      return;
    }
    const { fastIoFailTimeoutSec, ctrlrLossTimeoutSec, reconnectDelaySec } = this.opts;
    if (fastIoFailTimeoutSec !== 0 && elapsedSec >= fastIoFailTimeoutSec && !this.fastIoFailTimedOut) {
      this.fastIoFailTimedOut = true;
      this.wake();
    }
    if (reconnectDelaySec === 0) {
      this.state = 'failed';
      this.wake();
      return;
    }
    if (ctrlrLossTimeoutSec > 0 && elapsedSec >= ctrlrLossTimeoutSec) {
      this.destruct();
      return;
    }
    this.state = 'reconnect_is_delayed';
    this.reconnectAfter(reconnectDelaySec * 1000);
  }

  /** The next attempt once `ms` have passed on the monotonic clock (see the top of the file). */
  private reconnectAfter(ms: number): void {
    const due = performance.now() + ms;
    const arm = (wait: number) => {
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        const left = due - performance.now();
        if (left > 0) arm(Math.ceil(left));
        else void this.reconnect();
      }, timerMs(wait));
    };
    arm(ms);
  }

  private destruct(): void {
    this.state = 'deleting';
    this.gone = true;
    this.stopTimers();
    this.wake();
    this.events.lost(this);
  }

  private closeQpairs(): void {
    const admin = this.admin;
    const io = this.io;
    this.admin = null;
    this.io = null;
    admin?.close();
    io?.close();
  }

  private stopTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    this.reconnectTimer = null;
    this.keepAliveTimer = null;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
