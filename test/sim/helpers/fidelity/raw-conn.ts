/**
 * One raw connection for replaying transcript 09's protocol probes: write bytes, collect newline-
 * terminated answers, and tell a clean close from a reset.
 */
import { connect, type Socket } from 'node:net';

export class RawConn {
  private text = '';
  closed: false | true | 'reset' = false;
  private wake: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.text += d;
      this.wake?.();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.closed = e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 'reset' : true;
      this.wake?.();
    });
    socket.on('close', () => {
      if (this.closed === false) this.closed = true;
      this.wake?.();
    });
  }

  static open(path: string): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(new RawConn(s)));
      s.once('error', reject);
    });
  }

  write(data: string): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /**
   * Waits until `lines` answers arrived (then `settleMs` more, to see a close that follows), the
   * connection closed, or nothing came for `quietMs`. Returns and forgets what arrived.
   */
  async collect(lines: number, quietMs: number, settleMs = 30): Promise<string> {
    let lastLen = -1;
    let quietSince = Date.now();
    for (;;) {
      const have = this.text.split('\n').length - 1;
      if (this.closed !== false) break;
      if (lines > 0 && have >= lines) {
        await new Promise((r) => setTimeout(r, settleMs));
        break;
      }
      if (this.text.length !== lastLen) {
        lastLen = this.text.length;
        quietSince = Date.now();
      } else if (Date.now() - quietSince >= quietMs) {
        break;
      }
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 10);
      });
      this.wake = null;
    }
    const out = this.text;
    this.text = '';
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}
