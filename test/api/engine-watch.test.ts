/**
 * EngineWatch: the current engines as ADDED, SYNCED, then every change with its reason; the
 * domain subscription ends with the stream on every path (client cancel, server shutdown, a
 * watcher that stops reading).
 */
import { status, type ClientReadableStream } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import type { EngineEvent__Output } from '../../src/api/generated/spdk/conductor/v1/EngineEvent.js';
import { FakeDomain } from './helpers/fake-domain.js';
import { startTestApi, waitFor, type TestApi } from './helpers/api-server.js';

const GiB = 1024 ** 3;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10';

let api: TestApi;

async function seed(domain: FakeDomain): Promise<void> {
  await domain.diskCreate({ name: 'd1', path: '/dev/sda' });
  for (const r of ['r1', 'r2', 'r3', 'r4']) await domain.replicaCreate(r, 'd1', GiB);
  for (const [name, replicas] of [
    ['vol1', ['r1', 'r2']],
    ['vol2', ['r3', 'r4']],
  ] as const) {
    await domain.engineCreate({ name, sizeBytes: GiB, replicas: replicas.map((r) => ({ name: r, kind: 'local' as const })), frontend: 'export-only', hostNqns: [HOST] });
  }
}

beforeEach(async () => {
  api = await startTestApi();
  await seed(api.domain);
});
afterEach(async () => {
  await api.close();
});

/** Collects a watch stream's events and its end. */
function collect(stream: ClientReadableStream<EngineEvent__Output>) {
  const events: EngineEvent__Output[] = [];
  let ended: { code: number; details: string } | undefined;
  stream.on('data', (event: EngineEvent__Output) => events.push(event));
  stream.on('error', (err: { code: number; details: string }) => (ended = err));
  stream.on('status', (s: { code: number; details: string }) => (ended ??= s));
  return { events, ended: () => ended };
}

const summary = (e: EngineEvent__Output) => [e.type, e.engine?.name ?? null, e.engine?.state ?? null, e.reason];

describe('EngineWatch', () => {
  it('streams the current engines as ADDED, then SYNCED, then every change with its reason', async () => {
    const stream = api.clients.engines.EngineWatch({});
    const watch = collect(stream);
    await waitFor('the initial list and SYNCED', () => watch.events.length === 3);
    expect(watch.events.map(summary)).toEqual([
      ['ADDED', 'vol1', 'ENGINE_STATE_HEALTHY', 'initial list'],
      ['ADDED', 'vol2', 'ENGINE_STATE_HEALTHY', 'initial list'],
      ['SYNCED', null, null, '2 engines'],
    ]);
    expect(watch.events[0]!.engine?.members.map((m) => m.name)).toEqual(['r1', 'r2']);

    api.domain.engines.setMemberState('vol1', 'r2', 'missing', 'no controller: given up after ctrlr_loss_timeout_sec');
    await invoke(api.clients.engines, 'EngineReplicaRemove', { name: 'vol1', replicaName: 'r2' });
    await invoke(api.clients.engines, 'EngineDelete', { name: 'vol2' });
    await invoke(api.clients.engines, 'EngineCreate', {
      name: 'vol3',
      sizeBytes: GiB,
      replicas: [{ local: { name: 'r3' } }, { local: { name: 'r4' } }],
      frontend: 'FRONTEND_KIND_EXPORT_ONLY',
      hostNqns: [HOST],
    });
    await waitFor('four changes', () => watch.events.length === 7);
    expect(watch.events.slice(3).map(summary)).toEqual([
      ['MODIFIED', 'vol1', 'ENGINE_STATE_DEGRADED', '1 of 2 members healthy (r2 missing)'],
      ['MODIFIED', 'vol1', 'ENGINE_STATE_HEALTHY', 'replica r2 removed'],
      ['DELETED', null, null, 'vol2: deleted'],
      ['ADDED', 'vol3', 'ENGINE_STATE_HEALTHY', 'created'],
    ]);
    expect(watch.events[3]!.engine?.members.find((m) => m.name === 'r2')).toMatchObject({ state: 'MEMBER_STATE_MISSING', reason: 'no controller: given up after ctrlr_loss_timeout_sec' });
    stream.cancel();
    await waitFor('no listener left', () => api.domain.engines.listenerCount === 0);
  });

  it('starts with SYNCED alone when there are no engines', async () => {
    await api.close();
    api = await startTestApi();
    const watch = collect(api.clients.engines.EngineWatch({}));
    await waitFor('SYNCED', () => watch.events.length === 1);
    expect(watch.events.map(summary)).toEqual([['SYNCED', null, null, '0 engines']]);
  });

  it('unsubscribes from the domain when the client cancels', async () => {
    const streams = [api.clients.engines.EngineWatch({}), api.clients.engines.EngineWatch({})];
    const watches = streams.map(collect);
    await waitFor('both watches subscribed and synced', () => api.domain.engines.listenerCount === 2 && watches.every((w) => w.events.length === 3));
    streams[0]!.cancel();
    await waitFor('one listener left', () => api.domain.engines.listenerCount === 1);
    streams[1]!.cancel();
    await waitFor('no listener left', () => api.domain.engines.listenerCount === 0);
    expect(watches[0]!.ended()?.code).toBe(status.CANCELLED);
  });

  it('ends open watches with UNAVAILABLE and unsubscribes when the server closes', async () => {
    const watch = collect(api.clients.engines.EngineWatch({}));
    await waitFor('the watch to sync', () => watch.events.length === 3);
    await api.server.close();
    await waitFor('the stream to end', () => watch.ended());
    expect(watch.ended()).toMatchObject({ code: status.UNAVAILABLE, details: expect.stringMatching(/shutting down; watch again/) });
    expect(api.domain.engines.listenerCount).toBe(0);
  });

  it('ends a watch that fell too far behind with RESOURCE_EXHAUSTED and unsubscribes', async () => {
    await api.close();
    const domain = new FakeDomain();
    await seed(domain);
    api = await startTestApi({ domain, maxWatchBufferedEvents: 50 });
    const stream = api.clients.engines.EngineWatch({});
    stream.pause();
    let ended: { code: number; details: string } | undefined;
    stream.on('error', (err: { code: number; details: string }) => (ended = err));
    await waitFor('the watch to subscribe', () => domain.engines.listenerCount === 1);
    // Each change is an event of a few hundred bytes; HTTP/2 flow control stops the server long before this many.
    for (let i = 0; i < 20_000 && domain.engines.listenerCount > 0; i++) {
      domain.engines.setMemberState('vol1', 'r2', i % 2 ? 'healthy' : 'failed', `flap ${i} ${'x'.repeat(2000)}`);
    }
    await waitFor('the listener to be removed', () => domain.engines.listenerCount === 0);
    stream.resume();
    await waitFor('the stream to end', () => ended);
    expect(ended).toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: expect.stringMatching(/fell \d+ events behind; read faster, then watch again/) });
  });
});
