/**
 * Pages and watches against a real service: `serve` as its own process over its embedded
 * simulator. Every page is in name order; an object that existed for the whole listing is listed
 * exactly once however many creates and deletes run meanwhile; a watch sends its initial list
 * once and then only what changed.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, invoke, type ApiClients } from '../../src/api/client.js';
import type { EngineEvent__Output } from '../../src/api/generated/spdk/conductor/v1/EngineEvent.js';
import type { ReplicaEvent__Output } from '../../src/api/generated/spdk/conductor/v1/ReplicaEvent.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from './helpers/api-server.js';

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');
const MiB = 1024 * 1024;
const COUNT = 300;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10';

let serve: ResultPromise;
let api: ApiClients;
const originals = Array.from({ length: COUNT }, (_, i) => `r${String(i * 10).padStart(5, '0')}`);

/** Runs `work` on every item, `lanes` at a time. */
async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function listAll(pageSize: number): Promise<string[]> {
  const names: string[] = [];
  let pageToken = '';
  do {
    const page = await invoke(api.replicas, 'ReplicaList', { diskName: '', pageSize, pageToken });
    names.push(...page.replicas.map((r) => r.name));
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return names;
}

beforeAll(async () => {
  const dir = tempDir('paging-');
  const ports = portBlock();
  serve = execa(process.execPath, [CLI, 'serve'], {
    reject: false,
    extendEnv: false,
    env: {
      CONDUCTOR_API_SOCKET: path.join(dir, 'api.sock'),
      CONDUCTOR_API_TCP: 'off',
      CONDUCTOR_HTTP_ADDRESS: 'off',
      CONDUCTOR_LOG_LEVEL: 'warn',
      CONDUCTOR_STATE_FILE: path.join(dir, 'state', 'state.json'),
      CONDUCTOR_EXPORT_PORT_MIN: String(ports),
      CONDUCTOR_EXPORT_PORT_MAX: String(ports + 99),
    },
  });
  let output = '';
  serve.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  serve.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const socket = path.join(dir, 'api.sock');
  // A start's schema compiling alone takes seconds on a loaded machine: a deadline, not a speed goal.
  await waitFor('the API socket', () => existsSync(socket) || (serve.exitCode !== null ? Promise.reject(new Error(output)) : undefined), 120_000);
  api = createApiClients({ unixSocket: socket });
  await waitFor(
    'the service to be ready',
    async () => (await api.healthCheck('').catch(() => undefined)) === 'SERVING' || (serve.exitCode !== null ? Promise.reject(new Error(output)) : undefined),
    120_000,
  );
  const disk = path.join(dir, 'state', 'disk.img');
  await execa('truncate', ['-s', '4G', disk]);
  await invoke(api.disks, 'DiskCreate', { name: 'd1', path: disk });
  await inLanes(originals, 16, (name) => invoke(api.replicas, 'ReplicaCreate', { name, diskName: 'd1', sizeBytes: 4 * MiB }));
}, 300_000);

afterAll(async () => {
  api?.close();
  serve?.kill('SIGTERM');
  await serve;
});

describe('pages of a real service', () => {
  it('lists every replica that existed for the whole listing exactly once, in name order, while others are created and deleted', async () => {
    expect(await listAll(1000)).toEqual(originals);
    // Between the originals' names (r00010 < r00015 < r00020) and after them.
    const created = originals.map((name) => `${name.slice(0, -1)}5`).filter((_, i) => i % 3 === 0);
    const deleted = originals.filter((_, i) => i % 3 === 1);
    const kept = originals.filter((name) => !deleted.includes(name));
    let churning = true;
    const churn = (async () => {
      await inLanes(
        created.map((name, i) => [name, deleted[i]] as const),
        8,
        async ([add, remove]) => {
          await invoke(api.replicas, 'ReplicaCreate', { name: add, diskName: 'd1', sizeBytes: 4 * MiB });
          if (remove) await invoke(api.replicas, 'ReplicaDelete', { name: remove });
        },
      );
      churning = false;
    })();
    const listings: string[][] = [];
    // At least one whole listing runs entirely during the churn, in small pages.
    do listings.push(await listAll(7));
    while (churning);
    await churn;
    for (const names of listings) {
      for (let i = 1; i < names.length; i++) expect(names[i - 1]! < names[i]!, `${names[i - 1]} before ${names[i]}`).toBe(true);
      expect(kept.filter((name) => !names.includes(name))).toEqual([]);
    }
    expect(listings.length).toBeGreaterThan(0);
    const after = await listAll(50);
    expect(after).toEqual([...kept, ...created].sort());
  }, 180_000);

  it('ReplicaWatch sends the list once, then only what changed', async () => {
    const events: ReplicaEvent__Output[] = [];
    const stream = api.replicas.ReplicaWatch({});
    stream.on('data', (event: ReplicaEvent__Output) => events.push(event));
    stream.on('error', () => undefined);
    try {
      const synced = await waitFor('the initial list', () => events.findIndex((e) => e.type === 'SYNCED') + 1 || undefined, 60_000);
      const initial = events.slice(0, synced - 1);
      const listed = await listAll(1000);
      expect(initial.every((e) => e.type === 'ADDED' && e.reason === 'initial list')).toBe(true);
      expect(initial.map((e) => e.replica!.name).sort()).toEqual(listed);

      await invoke(api.replicas, 'ReplicaCreate', { name: 'watched', diskName: 'd1', sizeBytes: 4 * MiB });
      await invoke(api.replicas, 'ReplicaExpose', { name: 'watched', hostNqns: [HOST] });
      await invoke(api.replicas, 'ReplicaDelete', { name: 'watched' });
      await invoke(api.replicas, 'ReplicaCreate', { name: 'marker', diskName: 'd1', sizeBytes: 4 * MiB });
      await waitFor('the marker', () => events.some((e) => e.replica?.name === 'marker'), 30_000);
      expect(events.slice(synced).map((e) => `${e.type} ${e.replica?.name}`)).toEqual(['ADDED watched', 'MODIFIED watched', 'DELETED watched', 'ADDED marker']);
    } finally {
      stream.cancel();
    }
  }, 120_000);

  it('EngineList pages and EngineWatch sends each engine once, then its changes', async () => {
    const members = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'];
    await inLanes(members, 6, (name) => invoke(api.replicas, 'ReplicaCreate', { name, diskName: 'd1', sizeBytes: 4 * MiB }));
    const engine = (name: string, a: string, b: string) =>
      invoke(api.engines, 'EngineCreate', { name, sizeBytes: 4 * MiB, replicas: [{ local: { name: a } }, { local: { name: b } }], frontend: 'FRONTEND_KIND_EXPORT_ONLY', hostNqns: [HOST] });
    await engine('v2', 'm1', 'm2');
    await engine('v1', 'm3', 'm4');
    const first = await invoke(api.engines, 'EngineList', { pageSize: 1, pageToken: '' });
    const second = await invoke(api.engines, 'EngineList', { pageSize: 1, pageToken: first.nextPageToken });
    expect([...first.engines, ...second.engines].map((e) => e.name)).toEqual(['v1', 'v2']);
    expect(second.nextPageToken).toBe('');

    const events: EngineEvent__Output[] = [];
    const stream = api.engines.EngineWatch({});
    stream.on('data', (event: EngineEvent__Output) => events.push(event));
    stream.on('error', () => undefined);
    try {
      const synced = await waitFor('the initial engines', () => events.findIndex((e) => e.type === 'SYNCED') + 1 || undefined, 60_000);
      expect(
        events
          .slice(0, synced - 1)
          .map((e) => `${e.type} ${e.engine?.name}`)
          .sort(),
      ).toEqual(['ADDED v1', 'ADDED v2']);
      await engine('v3', 'm5', 'm6');
      await invoke(api.engines, 'EngineDelete', { name: 'v3' });
      await waitFor('the delete', () => events.some((e) => e.type === 'DELETED'), 30_000);
      const later = events.slice(synced);
      expect(later.filter((e) => e.type === 'ADDED').map((e) => e.engine?.name)).toEqual(['v3']);
      // Nothing about the engines that did not change.
      expect(later.filter((e) => e.engine && e.engine.name !== 'v3')).toEqual([]);
    } finally {
      stream.cancel();
    }
  }, 120_000);
});
