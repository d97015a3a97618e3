/**
 * What spdk_tgt holds, read over its JSON-RPC socket, as one comparable snapshot: bdevs, lvstores,
 * lvols, subsystems (hosts, listeners, namespaces), raids, NVMe controllers, keyring keys where the
 * target has a keyring, and the hashes of files a request must not write. The fuzzer compares the
 * snapshots before and after a refused request; a difference is a refusal that changed something.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { RawRpc } from './raw-rpc.js';

/** Fields that move on their own (I/O counters, timings) and say nothing about what exists. */
const VOLATILE = new Set(['num_read_ops', 'num_write_ops', 'bytes_read', 'bytes_written', 'ticks', 'tick_rate', 'time', 'rebuild_info']);

const QUERIES: readonly (readonly [string, object | undefined])[] = [
  ['bdev_get_bdevs', undefined],
  ['bdev_lvol_get_lvstores', undefined],
  ['bdev_lvol_get_lvols', undefined],
  ['nvmf_get_subsystems', undefined],
  ['bdev_raid_get_bdevs', { category: 'all' }],
  ['bdev_nvme_get_controllers', undefined],
];

export type Snapshot = Record<string, string>;

export class SpdkState {
  private constructor(
    private readonly rpc: RawRpc,
    private readonly queries: readonly (readonly [string, object | undefined])[],
    private readonly files: readonly string[],
  ) {}

  static async open(rpc: RawRpc, files: readonly string[]): Promise<SpdkState> {
    const methods = new Set(await rpc.call<string[]>('rpc_get_methods'));
    const queries = QUERIES.filter(([m]) => methods.has(m));
    if (methods.has('keyring_get_keys')) queries.push(['keyring_get_keys', undefined]);
    return new SpdkState(rpc, queries, files);
  }

  async snapshot(): Promise<Snapshot> {
    const results = await Promise.all(this.queries.map(([method, params]) => this.rpc.call(method, params)));
    const snapshot: Snapshot = {};
    this.queries.forEach(([method], i) => {
      snapshot[method] = JSON.stringify(results[i], (k, v: unknown) => (VOLATILE.has(k) ? undefined : v));
    });
    for (const file of this.files) snapshot[`file ${file}`] = hashOf(file);
    return snapshot;
  }
}

const EDGE = 1024 * 1024;

/** Size, modification time and the first and last MiB (where an lvstore or a label is written): cheap enough for every request. */
function hashOf(file: string): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const { size, mtimeMs } = fs.fstatSync(fd);
    const hash = createHash('sha256').update(`${size} ${mtimeMs}`);
    const buffer = Buffer.alloc(Math.min(EDGE, size));
    for (const at of [0, Math.max(0, size - EDGE)]) hash.update(buffer.subarray(0, fs.readSync(fd, buffer, 0, buffer.length, at)));
    return hash.digest('hex');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'unreadable';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** How many objects a snapshot holds, so that a report shows the state check had something to watch. */
export function objectCounts(snapshot: Snapshot): string {
  const count = (method: string): number => {
    const value = snapshot[method] === undefined ? [] : (JSON.parse(snapshot[method]) as unknown);
    return Array.isArray(value) ? value.length : 0;
  };
  return `${count('bdev_get_bdevs')} bdevs, ${count('bdev_lvol_get_lvols')} lvols, ${count('nvmf_get_subsystems')} subsystems, ${count('bdev_raid_get_bdevs')} raids, ${count('bdev_nvme_get_controllers')} nvme controllers`;
}

/** What differs between two snapshots, one line per query, cut short. */
export function differences(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[key] ?? '';
    const b = after[key] ?? '';
    if (a === b) continue;
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    out.push(`${key}: …${a.slice(Math.max(0, i - 60), i + 80)}… became …${b.slice(Math.max(0, i - 60), i + 80)}…`);
  }
  return out;
}
