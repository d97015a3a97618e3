/**
 * The least a JSON-RPC client for spdk_tgt can do: write compact requests, split answers on "\n",
 * JSON.parse, match by id. No checks, no deadlines, no queue. Benchmarks measure against it.
 */
import net from 'node:net';

export interface RawRpc {
  call<T = unknown>(method: string, params?: object): Promise<T>;
  close(): void;
}

export async function connectRaw(socketPath: string): Promise<RawRpc> {
  const socket = net.createConnection({ path: socketPath });
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const waiting = new Map<number, { method: string; resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let id = 0;
  let buffered = '';
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const response = JSON.parse(buffered.slice(0, nl)) as { id: number; result?: unknown; error?: { code: number; message: string } };
      buffered = buffered.slice(nl + 1);
      const waiter = waiting.get(response.id);
      waiting.delete(response.id);
      if (response.error) waiter?.reject(new Error(`${waiter?.method ?? '?'}: ${response.error.code} ${response.error.message}`));
      else waiter?.resolve(response.result);
    }
  });
  return {
    call: <T>(method: string, params?: object) =>
      new Promise<T>((resolve, reject) => {
        const n = ++id;
        waiting.set(n, { method, resolve: resolve as (value: unknown) => void, reject });
        socket.write(JSON.stringify(params === undefined ? { jsonrpc: '2.0', method, id: n } : { jsonrpc: '2.0', method, params, id: n }));
      }),
    close: () => socket.destroy(),
  };
}

/** Runs `work(i)` for i in [0, count) with at most `inFlight` running at once. */
export async function inLanes(count: number, inFlight: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, lane));
}
