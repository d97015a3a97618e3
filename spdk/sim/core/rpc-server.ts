/**
 * The Unix-socket JSON-RPC server, driven by the poll loop the way spdk_tgt's RPC poller runs
 * (spdk_jsonrpc_server_poll): at each 4 ms poll it first closes connections that stopped reading
 * and have nothing outstanding, sends what earlier polls produced, accepts at most one new
 * connection, then handles every complete request received since the last poll, in order.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import type { PolledRequest } from './contract.js';
import { Connection, processClock, RECV_BUFFER_BYTES, type Clock, type Stamp, type Taken } from './connection.js';
import type { Dispatcher, ResponseText } from './dispatcher.js';
import type { JsonValue } from './json-scan.js';
import { errorText, validateRequest, INVALID_REQUEST, type RpcRequest } from './rpc-request.js';

/** SPDK_JSONRPC_MAX_CONNS. */
export const MAX_CONNECTIONS = 64;

type Item = { readonly kind: 'single'; readonly value: JsonValue } | { readonly kind: 'batch'; readonly values: JsonValue[] };

export class RpcServer {
  private server: Server | null = null;
  private readonly waiting: Socket[] = [];
  private readonly connections: Connection[] = [];
  private nextId = 1;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly log: (event: string, fields?: Record<string, unknown>) => void,
    /** Stamps each request's arrival and answer (sim_request_time). */
    private readonly clock: Clock = processClock(() => 0),
  ) {}

  listen(path: string): Promise<void> {
    rmSync(path, { force: true });
    const server = createServer({ pauseOnConnect: true }, (socket) => this.waiting.push(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.waiting.splice(0)) s.destroy();
    for (const c of this.connections.splice(0)) c.close();
    const server = this.server;
    this.server = null;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  get connectionCount(): number {
    return this.connections.length;
  }

  poll(): void {
    for (const c of [...this.connections]) {
      if (!c.closable) continue;
      this.log('rpc_connection_closed', { conn: c.id, reason: 'request too large' });
      c.close();
      this.drop(c);
    }
    for (const c of this.connections) c.flush();
    this.acceptOne();
    for (const c of [...this.connections]) this.receive(c);
  }

  private acceptOne(): void {
    const socket = this.waiting.shift();
    if (socket === undefined) return;
    if (this.connections.length >= MAX_CONNECTIONS || socket.destroyed) {
      socket.destroy();
      return;
    }
    const conn = new Connection(this.nextId++, socket, this.clock);
    this.connections.push(conn);
    conn.socket.on('error', () => undefined);
    conn.socket.on('close', () => this.drop(conn));
    // Flowing, so the peer's end of stream is seen (the bytes go to the connection, not to 'data').
    conn.socket.resume();
  }

  private drop(conn: Connection): void {
    conn.closed = true;
    const i = this.connections.indexOf(conn);
    if (i >= 0) this.connections.splice(i, 1);
  }

  private receive(conn: Connection): void {
    if (conn.closed || conn.ending) return;
    if (conn.endIfFull()) {
      // No answer; the socket closes once nothing is outstanding, with the request's last bytes
      // still unread: a reset for the peer.
      this.log('rpc_connection_ending', { conn: conn.id, reason: `a request larger than the ${RECV_BUFFER_BYTES / 1024} KiB receive buffer` });
      return;
    }
    const taken = conn.take();
    this.handle(conn, taken);
    if (taken.rest === 'malformed') {
      // spdk_tgt closes at once: answers of the requests before it are dropped (their work is done).
      this.log('rpc_connection_closed', { conn: conn.id, reason: 'malformed JSON' });
      conn.close();
      this.drop(conn);
    }
  }

  private handle(conn: Connection, taken: Taken): void {
    if (taken.values.length === 0) return;
    const items: Item[] = taken.values.map((value) => (Array.isArray(value) && value.length > 0 ? { kind: 'batch', values: value } : { kind: 'single', value }));
    // Hazards depend on what else arrived in the same poll: give handlers the whole list.
    const poll: PolledRequest[] = [];
    const validated = items.map((item) => {
      const one = (v: JsonValue) => {
        const r = validateRequest(v);
        if (r.ok) poll.push({ method: r.request.method, params: r.request.params });
        return r;
      };
      return item.kind === 'single' ? [one(item.value)] : item.values.map(one);
    });
    let index = 0;
    validated.forEach((group, i) => {
      const arrived = taken.arrivals[i]!;
      const texts = group.map((r) => {
        if (!r.ok) return errorText(r.rawId, INVALID_REQUEST, 'Invalid request');
        return this.call(r.request, poll, index++, conn);
      });
      if (items[i]!.kind === 'single') this.answer(conn, texts[0]!, group[0]!.ok ? group[0]!.request.method : null, arrived);
      else this.answerBatch(conn, texts, arrived);
    });
  }

  private call(request: RpcRequest, poll: readonly PolledRequest[], index: number, conn: Connection): ResponseText | Promise<ResponseText> {
    return this.dispatcher.handle(request, { poll, index, previousAnswer: conn.lastAnswer });
  }

  private answer(conn: Connection, text: ResponseText | Promise<ResponseText>, method: string | null, arrived: Stamp): void {
    if (text instanceof Promise) {
      void conn.later(text).then((t) => (t === null ? undefined : conn.queue(t, method, arrived)));
    } else if (text !== null) {
      conn.queue(text, method, arrived);
    }
  }

  private answerBatch(conn: Connection, texts: Array<ResponseText | Promise<ResponseText>>, arrived: Stamp): void {
    const send = (all: ResponseText[]) => {
      const present = all.filter((t): t is string => t !== null);
      if (present.length > 0) conn.queue(`[${present.join(',')}]`, '(batch)', arrived);
    };
    if (texts.some((t) => t instanceof Promise)) void conn.later(Promise.all(texts)).then(send);
    else send(texts as ResponseText[]);
  }
}
