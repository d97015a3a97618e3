/**
 * A recording proxy between the service and the simulator: every byte passes through unchanged,
 * and each JSON-RPC request the service sends is recorded in order with whether spdk_tgt answered
 * it with a result. The crash tests read the SPDK calls an operation makes from it, so a change
 * in the domain's call sequence shows up as a failed assertion, not as an untested kill point.
 *
 * With `rewrite`, requests are forwarded one JSON value at a time, each as `rewrite` returns it
 * (the same object, or a changed one, e.g. a param dropped), and recorded as forwarded.
 */
import fs from 'node:fs';
import net from 'node:net';

export interface RecordedCall {
  readonly seq: number;
  readonly method: string;
  readonly params: unknown;
  /** true: answered with a result; false: with an error; undefined: no answer seen (yet). */
  ok: boolean | undefined;
}

/**
 * Cuts a byte stream into top-level JSON values. Requests need no delimiter between them (spdk_tgt
 * reads them back to back), so values are found by bracket depth outside strings.
 */
class JsonValueCutter {
  private buffer = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  push(chunk: string): string[] {
    this.buffer += chunk;
    const values: string[] = [];
    for (let i = this.scanned; i < this.buffer.length; i++) {
      const c = this.buffer[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') {
        if (this.depth++ === 0) this.start = i;
      } else if ((c === '}' || c === ']') && --this.depth === 0) {
        values.push(this.buffer.slice(this.start, i + 1));
        this.buffer = this.buffer.slice(i + 1);
        i = -1;
        this.start = -1;
      }
    }
    this.scanned = this.buffer.length;
    if (this.depth === 0) {
      this.buffer = '';
      this.scanned = 0;
    }
    return values;
  }
}

/**
 * What NodeResources reads every sample period (its subsystem count too: service.ts sets a period no test outlasts),
 * and readiness's spdk_tgt probe (spdk_get_version, every health.spdkProbeMs), which no operation calls.
 */
const HEALTH_READINGS = new Set(['env_dpdk_get_mem_stats', 'iobuf_get_stats', 'framework_get_reactors', 'bdev_raid_set_options', 'spdk_get_version']);

/** One JSON-RPC request as the service sent it; returns the request to forward in its place. */
export type RequestRewrite = (request: { method?: unknown; params?: unknown; id?: unknown; jsonrpc?: unknown }) => unknown;

export class RpcProxy {
  readonly calls: RecordedCall[] = [];
  private readonly connections = new Set<net.Socket>();

  private constructor(
    readonly socket: string,
    private readonly server: net.Server,
    private readonly rewrite: RequestRewrite | undefined,
  ) {}

  /** Listens on `socket` and forwards every connection to `upstream` (through `rewrite` when given). */
  static async start(upstream: string, socket: string, options: { rewrite?: RequestRewrite } = {}): Promise<RpcProxy> {
    fs.rmSync(socket, { force: true });
    const server = net.createServer();
    const proxy = new RpcProxy(socket, server, options.rewrite);
    server.on('connection', (client) => proxy.forward(client, upstream));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => resolve());
    });
    return proxy;
  }

  /** The sequence number the next recorded call will get. */
  get mark(): number {
    return this.calls.length;
  }

  since(mark: number): RecordedCall[] {
    return this.calls.slice(mark);
  }

  async close(): Promise<void> {
    for (const s of this.connections) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: net.Socket, upstream: string): void {
    const server = net.connect(upstream);
    this.connections.add(client).add(server);
    const byId = new Map<unknown, RecordedCall>();
    const requests = new JsonValueCutter();
    let answers = '';
    client.setEncoding('utf8');
    server.setEncoding('utf8');
    const rewrite = this.rewrite;
    client.on('data', (chunk: string) => {
      for (const text of requests.push(chunk)) {
        const parsed = JSON.parse(text) as unknown;
        const forwarded = rewrite ? (Array.isArray(parsed) ? parsed.map((r) => rewrite(r as object)) : rewrite(parsed as object)) : parsed;
        for (const request of Array.isArray(forwarded) ? forwarded : [forwarded]) {
          const { method, params, id } = request as { method?: unknown; params?: unknown; id?: unknown };
          // The health monitor's readings come on their own clock: they are steps of no operation.
          if (HEALTH_READINGS.has(String(method))) continue;
          const call: RecordedCall = { seq: this.calls.length, method: String(method), params, ok: undefined };
          this.calls.push(call);
          if (id !== undefined && id !== null) byId.set(id, call);
        }
        if (rewrite) server.write(JSON.stringify(forwarded));
      }
      if (!rewrite) server.write(chunk);
    });
    server.on('data', (chunk: string) => {
      client.write(chunk);
      answers += chunk;
      let nl: number;
      while ((nl = answers.indexOf('\n')) >= 0) {
        const line = answers.slice(0, nl);
        answers = answers.slice(nl + 1);
        const parsed = JSON.parse(line) as unknown;
        for (const answer of Array.isArray(parsed) ? parsed : [parsed]) {
          const { id, error } = answer as { id?: unknown; error?: unknown };
          const call = byId.get(id);
          if (!call) continue;
          byId.delete(id);
          call.ok = error === undefined;
        }
      }
    });
    const end = (): void => {
      client.destroy();
      server.destroy();
      this.connections.delete(client);
      this.connections.delete(server);
    };
    client.on('close', end).on('error', end);
    server.on('close', end).on('error', end);
  }
}
