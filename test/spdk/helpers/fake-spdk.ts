/**
 * A small Unix-socket JSON-RPC server for client tests: parses back-to-back requests and hands
 * each to a test-supplied handler, which decides what bytes go back and when.
 */
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../helpers/temp-dir.js';

export interface FakeRequest {
  id: number | string | null;
  method: string;
  params?: unknown;
}

export interface FakeConnection {
  readonly socket: net.Socket;
  /** Writes a response object as spdk_tgt does: compact JSON and "\n". */
  reply(request: FakeRequest, result: unknown): void;
  replyError(request: FakeRequest, code: number, message: string): void;
  writeRaw(bytes: string | Buffer): void;
}

export type FakeHandler = (request: FakeRequest, connection: FakeConnection) => void;

export class FakeSpdk {
  readonly received: FakeRequest[] = [];
  /** The exact text of each recorded request. */
  readonly rawRequests: string[] = [];
  connections = 0;
  /** Answer spdk_get_version and rpc_get_methods without the handler (and without recording them). */
  answerInfo = true;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly socketPath: string,
    public handler: FakeHandler,
  ) {}

  static tempSocket(): string {
    const dir = tempDir('fake-spdk-');
    return path.join(dir, 'spdk.sock');
  }

  async start(): Promise<this> {
    fs.rmSync(this.socketPath, { force: true });
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
    return this;
  }

  /** Drops every connection now, as a crashing spdk_tgt would. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(this.socketPath, { force: true });
  }

  private accept(socket: net.Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const connection: FakeConnection = {
      socket,
      reply: (request, result) => socket.write(JSON.stringify({ jsonrpc: '2.0', id: request.id, result }) + '\n'),
      replyError: (request, code, message) => socket.write(JSON.stringify({ jsonrpc: '2.0', id: request.id, error: { code, message } }) + '\n'),
      writeRaw: (bytes) => socket.write(bytes),
    };
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (;;) {
        const end = endOfFirstObject(buffered);
        if (end < 0) break;
        const text = buffered.slice(0, end);
        const request = JSON.parse(text) as FakeRequest;
        buffered = buffered.slice(end).replace(/^\s+/, '');
        // The client reads capabilities on every connect; tests script everything else.
        if (request.method === 'spdk_get_version' && this.answerInfo) {
          connection.reply(request, { version: 'SPDK v26.05', fields: { major: 26, minor: 5, patch: 0, suffix: '' } });
          continue;
        }
        if (request.method === 'rpc_get_methods' && this.answerInfo) {
          connection.reply(request, ['spdk_get_version', 'rpc_get_methods', 'bdev_get_bdevs']);
          continue;
        }
        this.received.push(request);
        this.rawRequests.push(text);
        this.handler(request, connection);
      }
    });
  }
}

/** Index just past the first complete top-level object in `text`, or -1. */
function endOfFirstObject(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Polls `check` until it returns true or the deadline passes (then throws with `what`). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
