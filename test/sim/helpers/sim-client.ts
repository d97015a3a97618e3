/**
 * A small JSON-RPC client for tests against the simulator: newline-delimited responses matched by
 * id, plus a raw exchange for protocol probes. Not the service's client (src/spdk), on purpose.
 */
import { connect, type Socket } from 'node:net';

export class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The JSON-RPC error a call answered with; throws if it succeeded or failed otherwise. */
export async function rpcFailure(work: Promise<unknown>): Promise<RpcFailure> {
  try {
    await work;
  } catch (error) {
    if (error instanceof RpcFailure) return error;
    throw error;
  }
  throw new Error('the call succeeded');
}

export interface RpcResponse {
  readonly id?: unknown;
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string };
}

export class SimClient {
  private nextId = 1;
  private buffer = '';
  private readonly waiting = new Map<number, (r: RpcResponse) => void>();
  private closedError: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => this.onData(d));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static connect(path: string): Promise<SimClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once('connect', () => resolve(new SimClient(s)));
      s.once('error', reject);
    });
  }

  private onData(d: string): void {
    this.buffer += d;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const msg = JSON.parse(line) as RpcResponse;
      const cb = typeof msg.id === 'number' ? this.waiting.get(msg.id) : undefined;
      if (cb) {
        this.waiting.delete(msg.id as number);
        cb(msg);
      }
    }
  }

  private fail(e: Error): void {
    this.closedError ??= e;
    for (const [, cb] of this.waiting) cb({ error: { code: 0, message: e.message } });
    this.waiting.clear();
  }

  /** Sends one request and resolves with the whole response (result or error). */
  request(method: string, params?: unknown): Promise<RpcResponse> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    const body = params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id };
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.write(JSON.stringify(body));
    });
  }

  /** Sends one request whose params are given as JSON text (integers past 2^53 exactly). */
  requestText(method: string, paramsText: string): Promise<RpcResponse> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.write(`{"jsonrpc":"2.0","method":${JSON.stringify(method)},"id":${id},"params":${paramsText}}`);
    });
  }

  /** Sends one request; resolves with its result, rejects with RpcFailure(code, message). */
  async call<T = unknown>(method: string, params?: unknown): Promise<T> {
    const r = await this.request(method, params);
    if (r.error) throw new RpcFailure(r.error.code, r.error.message);
    return r.result as T;
  }

  /** Holds writes until `uncork`, which sends them in one write: requests that must arrive together. */
  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface RawOutcome {
  /** Everything the server sent. */
  readonly text: string;
  /** false: still open; true: closed (EOF); 'reset': ECONNRESET/EPIPE. */
  readonly closed: boolean | 'reset';
}

/**
 * Writes `parts` (a number is a pause in ms) on a fresh connection, then collects what comes back
 * until `responses` newline-terminated lines arrived, the server closed, or `quietMs` passed
 * without data after the last write.
 */
export function rawExchange(path: string, parts: ReadonlyArray<string | Buffer | number>, opts: { responses?: number; quietMs?: number } = {}): Promise<RawOutcome> {
  // With the answers counted it ends on the last one, and the quiet time is only the bound for an
  // answer that never comes: a loaded machine took over 200 ms for one (at load 20).
  const quietMs = opts.quietMs ?? (opts.responses === undefined ? 200 : 10_000);
  return new Promise((resolve) => {
    const s = connect(path);
    let text = '';
    let closed: boolean | 'reset' = false;
    let timer: NodeJS.Timeout | null = null;
    let done = false;
    let writing = true;
    const finish = () => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      s.destroy();
      resolve({ text, closed });
    };
    const arm = () => {
      if (timer) clearTimeout(timer);
      if (!writing) timer = setTimeout(finish, quietMs);
    };
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      text += d;
      if (opts.responses !== undefined && text.split('\n').length - 1 >= opts.responses) finish();
      else arm();
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      closed = e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 'reset' : true;
      finish();
    });
    s.on('end', () => {
      if (closed === false) closed = true;
      setTimeout(finish, 20);
    });
    s.on('close', () => {
      if (closed === false) closed = true;
      finish();
    });
    s.once('connect', async () => {
      for (const p of parts) {
        if (typeof p === 'number') await new Promise((r) => setTimeout(r, p));
        else if (!s.destroyed) s.write(p);
      }
      writing = false;
      arm();
    });
  });
}
