/**
 * The target's TCP listening sockets. Subsystems share a port (as spdk_tgt's transport listens
 * once per address); the socket closes when the last subsystem stops listening there. Only
 * loopback addresses are accepted: simulators talk to each other on 127.0.0.1.
 *
 * sim_listeners_kill closes every listening socket and accepted connection, as if the process had
 * died, while the configuration (and RPC) stay; sim_listeners_restore listens again.
 */
import { createServer, type Server, Socket } from 'node:net';
import type { ListenAddress } from './subsystem.js';

interface PortEntry {
  readonly address: ListenAddress;
  refs: number;
  server: Server | null;
  readonly sockets: Set<Socket>;
  /** The bind in progress: listeners added meanwhile (same poll) share its outcome. */
  opening: Promise<boolean> | null;
}

/** Gets what a connection reads: a view of the connection's read buffer, valid during the call only. */
export type ChunkSink = (view: Buffer) => void;

/** `lend` sets where the connection's reads go (before the first read, which is async). */
export type ConnectionHandler = (socket: Socket, address: ListenAddress, lend: (sink: ChunkSink) => void) => void;

/** Bytes one read may take: a 128 KiB H2CData and its header fit in two. */
const READ_BYTES = 128 * 1024;

/**
 * The accepted socket's handle under a socket that reads into one buffer of its own (net.Socket's
 * `onread`) and lends each read to a sink, instead of a fresh 64 KiB buffer per read: moving GB/s
 * of NVMe/TCP data, those buffers were a third of the process's time in garbage collection. The
 * sink copies what it keeps. net.Server has no `onread`, so the accepted socket (paused on
 * connect, never read) gives its handle over, as core/connection.ts does for RPC connections.
 */
function lendingSocket(accepted: Socket): { socket: Socket; lend: (sink: ChunkSink) => void } {
  const holder = accepted as unknown as { _handle: object | null };
  const handle = holder._handle;
  holder._handle = null;
  accepted.destroy();
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  let sink: ChunkSink = () => {};
  const options = { handle, readable: true, writable: true, onread: { buffer, callback: (n: number) => void sink(buffer.subarray(0, n)) } };
  const socket = new Socket(options as ConstructorParameters<typeof Socket>[0]);
  return { socket, lend: (s) => (sink = s) };
}

const keyOf = (a: { traddr: string; trsvcid: string }) => `${a.traddr}:${a.trsvcid}`;

export function isLoopback(traddr: string): boolean {
  return /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(traddr) && traddr.split('.').every((p) => Number(p) <= 255);
}

export function validPort(trsvcid: string): boolean {
  return /^\d{1,5}$/.test(trsvcid) && Number(trsvcid) >= 1 && Number(trsvcid) <= 65535;
}

export class Ports {
  private readonly entries = new Map<string, PortEntry>();
  private killed = false;

  constructor(private readonly onConnection: ConnectionHandler) {}

  /** Starts (or shares) listening on `address`; false when it cannot be bound. */
  async listen(address: ListenAddress): Promise<boolean> {
    if (!isLoopback(address.traddr) || !validPort(address.trsvcid)) return false;
    const key = keyOf(address);
    const existing = this.entries.get(key);
    if (existing) {
      if (existing.opening && !(await existing.opening)) return false;
      existing.refs++;
      return true;
    }
    const entry: PortEntry = { address, refs: 0, server: null, sockets: new Set(), opening: null };
    this.entries.set(key, entry);
    if (!this.killed) {
      entry.opening = this.open(entry);
      const bound = await entry.opening;
      entry.opening = null;
      if (!bound) {
        this.entries.delete(key);
        return false;
      }
    }
    entry.refs++;
    return true;
  }

  /** One subsystem stopped listening on `address`. */
  unlisten(address: ListenAddress): void {
    const key = keyOf(address);
    const entry = this.entries.get(key);
    if (!entry) return;
    if (--entry.refs > 0) return;
    this.entries.delete(key);
    this.shut(entry);
  }

  kill(): void {
    this.killed = true;
    for (const entry of this.entries.values()) this.shut(entry);
  }

  /** Listens again everywhere; addresses that cannot be bound any more are dropped. */
  async restore(): Promise<void> {
    this.killed = false;
    for (const [key, entry] of this.entries) {
      if (entry.server) continue;
      if (!(await this.open(entry))) this.entries.delete(key);
    }
  }

  async close(): Promise<void> {
    for (const entry of this.entries.values()) this.shut(entry);
    this.entries.clear();
  }

  private open(entry: PortEntry): Promise<boolean> {
    return new Promise((resolve) => {
      const server = createServer({ pauseOnConnect: true }, (accepted) => {
        if (!(accepted as unknown as { _handle: object | null })._handle) return;
        const { socket, lend } = lendingSocket(accepted);
        entry.sockets.add(socket);
        socket.on('close', () => entry.sockets.delete(socket));
        this.onConnection(socket, entry.address, lend);
      });
      server.once('error', () => resolve(false));
      server.listen({ host: entry.address.traddr, port: Number(entry.address.trsvcid), exclusive: true }, () => {
        entry.server = server;
        resolve(true);
      });
    });
  }

  private shut(entry: PortEntry): void {
    entry.server?.close();
    entry.server = null;
    for (const socket of entry.sockets) socket.destroy();
    entry.sockets.clear();
  }
}
