/**
 * The host side of one fabric qpair: a TCP connection to a target's listener, the CONNECT
 * handshake (refused, rejected or unanswered connects are all failures) and requests matched to
 * responses by id. Requests still outstanding when the connection goes are rejected with
 * QpairClosed so bdev_nvme can queue them for after the reconnect.
 */
import { connect } from 'node:net';
import { Link } from '../fabric/link.js';
import type { ChapResult } from '../fabric/auth.js';
import { FabricStatus, jsonPayload, Op, parseJson, RESPONSE_BIT, type ConnectAccept, type ConnectRequest, type Frame, type Notice } from '../fabric/protocol.js';
import type { AuthAttempt } from './credentials.js';

export class QpairClosed extends Error {}

/** spdk's TLS handshake (ssl sock impl) costs ~100 ms per qpair (transcript 18). */
const TLS_HANDSHAKE_MS = 100;

/** Why a connect failed: for logs only, the RPC answer is the same (-5). */
export class ConnectFailed extends Error {
  constructor(
    readonly kind: 'refused' | 'rejected' | 'timeout',
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Endpoint {
  readonly traddr: string;
  readonly trsvcid: string;
}

export class HostQpair {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(f: Frame): void; reject(e: Error): void }>();
  private noticeHandler: (notice: Notice) => void = () => {};

  private constructor(private readonly link: Link) {
    link.onFrame((frame) => this.onFrame(frame));
    link.onClose(() => {
      const waiting = [...this.pending.values()];
      this.pending.clear();
      for (const w of waiting) w.reject(new QpairClosed('qpair closed'));
    });
  }

  /**
   * Connects to `endpoint` and sends CONNECT (with `auth`'s proofs); resolves once the target
   * accepted it and, for a bidirectional host, proved its controller key.
   */
  static open(endpoint: Endpoint, req: ConnectRequest, timeoutMs: number, auth?: AuthAttempt): Promise<{ qpair: HostQpair; accept: ConnectAccept }> {
    const full: ConnectRequest = auth ? { ...req, nonce: auth.nonce, ...(auth.chap ? { chap: auth.chap } : {}), ...(auth.tls ? { tls: auth.tls } : {}) } : req;
    return new Promise((resolve, reject) => {
      const socket = connect({ host: endpoint.traddr, port: Number(endpoint.trsvcid) });
      let settled = false;
      const fail = (err: ConnectFailed) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new ConnectFailed('timeout', 0, 'fabric CONNECT timed out')), timeoutMs);
      socket.once('error', (err: NodeJS.ErrnoException) => fail(new ConnectFailed('refused', 0, `connect() failed: ${err.code ?? err.message}`)));
      socket.once('connect', async () => {
        if (full.tls) await new Promise((r) => setTimeout(r, TLS_HANDSHAKE_MS));
        if (settled) return;
        const qpair = new HostQpair(new Link(socket));
        qpair.link.onClose(() => fail(new ConnectFailed('refused', 0, 'connection closed during CONNECT')));
        qpair.request(Op.CONNECT, jsonPayload(full)).then(
          (frame) => {
            if (settled) return;
            if (frame.status !== 0) {
              const reason = safeReason(frame.payload);
              fail(new ConnectFailed('rejected', frame.status, reason));
              return;
            }
            const accept = parseJson<ConnectAccept>(frame.payload);
            const refused = auth?.verify(accept.chap) ?? null;
            if (refused !== null) {
              fail(new ConnectFailed('rejected', FabricStatus.AUTH_FAILED, refused));
              return;
            }
            settled = true;
            clearTimeout(timer);
            resolve({ qpair, accept });
          },
          () => fail(new ConnectFailed('refused', 0, 'connection closed during CONNECT')),
        );
      });
    });
  }

  get isClosed(): boolean {
    return this.link.isClosed;
  }

  get localPort(): number {
    return this.link.localPort;
  }

  onNotice(handler: (notice: Notice) => void): void {
    this.noticeHandler = handler;
  }

  onClose(handler: () => void): void {
    this.link.onClose(handler);
  }

  request(opcode: number, payload?: Buffer): Promise<Frame> {
    if (this.link.isClosed) return Promise.reject(new QpairClosed('qpair closed'));
    const id = this.nextId++;
    if (this.nextId > 0xffff_fff0) this.nextId = 1;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.link.send(opcode, id, 0, payload);
    });
  }

  setStalled(stalled: boolean): void {
    this.link.setStalled(stalled);
  }

  /** Authenticates this live qpair again; resolves with null, or why it failed. */
  async reauthenticate(auth: AuthAttempt): Promise<string | null> {
    let frame: Frame;
    try {
      frame = await this.request(Op.REAUTH, jsonPayload({ nonce: auth.nonce, chap: auth.chap }));
    } catch {
      return 'qpair closed during re-authentication';
    }
    if (frame.status !== 0) return safeReason(frame.payload);
    return auth.verify(parseJson<ChapResult>(frame.payload));
  }

  close(): void {
    this.link.close();
  }

  private onFrame(frame: Frame): void {
    if (frame.opcode === Op.NOTICE) {
      try {
        this.noticeHandler(parseJson<Notice>(frame.payload));
      } catch {
        // A garbled notice is ignored; the next one carries the whole list again.
      }
      return;
    }
    if ((frame.opcode & RESPONSE_BIT) === 0) return;
    const waiter = this.pending.get(frame.id);
    if (!waiter) return;
    this.pending.delete(frame.id);
    waiter.resolve(frame);
  }
}

function safeReason(payload: Buffer): string {
  try {
    return parseJson<{ reason: string }>(payload).reason;
  } catch {
    return 'rejected';
  }
}
