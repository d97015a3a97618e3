/**
 * ReplicaWatch: the current list, SYNCED, then every change; the domain subscription ends with
 * the stream on every path (client cancel, server shutdown, a watcher that stops reading).
 */
import { status, type ClientReadableStream } from '@grpc/grpc-js';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import { protoDir } from '../../src/api/proto.js';
import type { ReplicaEvent__Output } from '../../src/api/generated/spdk/conductor/v1/ReplicaEvent.js';
import type { ReplicaInfo } from '../../src/domain/model.js';
import { FakeDomain } from './helpers/fake-domain.js';
import { startTestApi, waitFor, type TestApi } from './helpers/api-server.js';

const GiB = 1024 ** 3;
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const WATCHER = `
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');
const [socket, protos] = process.argv.slice(1);
const definition = loader.loadSync('spdk/conductor/v1/node.proto', { includeDirs: [protos], enums: String, longs: Number, defaults: true });
const { Replicas } = grpc.loadPackageDefinition(definition).spdk.conductor.v1;
const stream = new Replicas('unix://' + socket, grpc.credentials.createInsecure()).ReplicaWatch({});
stream.on('data', (event) => { if (event.type === 'SYNCED') console.log('synced'); });
stream.on('error', () => {});
`;

let api: TestApi;
beforeEach(async () => {
  api = await startTestApi();
  await invoke(api.clients.disks, 'DiskCreate', { name: 'd1', path: '/dev/sda' });
  await invoke(api.clients.replicas, 'ReplicaCreate', { name: 'r1', diskName: 'd1', sizeBytes: GiB });
  await invoke(api.clients.replicas, 'ReplicaCreate', { name: 'r2', diskName: 'd1', sizeBytes: GiB });
});
afterEach(async () => {
  await api.close();
});

/** Collects a watch stream's events and its end. */
function collect(stream: ClientReadableStream<ReplicaEvent__Output>) {
  const events: ReplicaEvent__Output[] = [];
  let ended: { code: number; details: string } | undefined;
  stream.on('data', (event: ReplicaEvent__Output) => events.push(event));
  stream.on('error', (err: { code: number; details: string }) => (ended = err));
  stream.on('status', (s: { code: number; details: string }) => (ended ??= s));
  return { events, ended: () => ended };
}

describe('ReplicaWatch', () => {
  it('streams the current list as ADDED, then SYNCED, then changes as they happen', async () => {
    const stream = api.clients.replicas.ReplicaWatch({});
    const watch = collect(stream);
    await waitFor('the initial list and SYNCED', () => watch.events.length === 3);
    expect(watch.events.map((e) => [e.type, e.replica?.name ?? null])).toEqual([
      ['ADDED', 'r1'],
      ['ADDED', 'r2'],
      ['SYNCED', null],
    ]);
    expect(watch.events[0]!.replica?.sizeBytes).toBe(GiB);

    await invoke(api.clients.replicas, 'ReplicaExpand', { name: 'r1', sizeBytes: 2 * GiB });
    await invoke(api.clients.replicas, 'ReplicaDelete', { name: 'r2' });
    await invoke(api.clients.replicas, 'ReplicaCreate', { name: 'r3', diskName: 'd1', sizeBytes: GiB });
    await waitFor('three changes', () => watch.events.length === 6);
    expect(watch.events.slice(3).map((e) => [e.type, e.replica?.name, e.reason])).toEqual([
      ['MODIFIED', 'r1', 'expanded'],
      ['DELETED', 'r2', 'deleted'],
      ['ADDED', 'r3', 'created'],
    ]);
    expect(watch.events[3]!.replica?.sizeBytes).toBe(2 * GiB);
    stream.cancel();
  });

  it('unsubscribes from the domain when the client cancels', async () => {
    const streams = [api.clients.replicas.ReplicaWatch({}), api.clients.replicas.ReplicaWatch({})];
    const watches = streams.map(collect);
    await waitFor('both watches subscribed and synced', () => api.domain.listenerCount === 2 && watches.every((w) => w.events.length === 3));
    streams[0]!.cancel();
    await waitFor('one listener left', () => api.domain.listenerCount === 1);
    streams[1]!.cancel();
    await waitFor('no listener left', () => api.domain.listenerCount === 0);
    expect(watches[0]!.ended()?.code).toBe(status.CANCELLED);
  });

  it('unsubscribes when the watching process dies without cancelling', async () => {
    // A separate process that watches and is then SIGKILLed: only the connection's end tells.
    const child = execa(process.execPath, ['-e', WATCHER, api.socketPath, protoDir()], { cwd: ROOT, reject: false, timeout: 30_000 });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor('the child to sync', () => out.includes('synced'), 15_000);
    expect(api.domain.listenerCount).toBe(1);
    child.kill('SIGKILL');
    await child;
    await waitFor('no listener left', () => api.domain.listenerCount === 0);
  });

  it('ends open watches with UNAVAILABLE and unsubscribes when the server closes', async () => {
    const watch = collect(api.clients.replicas.ReplicaWatch({}));
    await waitFor('the watch to sync', () => watch.events.length === 3);
    const started = Date.now();
    await api.server.close();
    // Well inside the 2 s grace: the stream was ended, not cut off at the deadline.
    expect(Date.now() - started).toBeLessThan(1500);
    await waitFor('the stream to end', () => watch.ended());
    expect(watch.ended()).toMatchObject({ code: status.UNAVAILABLE, details: expect.stringMatching(/shutting down; watch again/) });
    expect(api.domain.listenerCount).toBe(0);
  });

  it('ends a watch that fell too far behind with RESOURCE_EXHAUSTED and unsubscribes', async () => {
    await api.close();
    const domain = new FakeDomain();
    api = await startTestApi({ domain, maxWatchBufferedEvents: 50 });
    const stream = api.clients.replicas.ReplicaWatch({});
    stream.pause();
    let ended: { code: number; details: string } | undefined;
    stream.on('error', (err: { code: number; details: string }) => (ended = err));
    await waitFor('the watch to subscribe', () => domain.listenerCount === 1);
    const big: ReplicaInfo = {
      name: 'r'.repeat(48),
      diskName: 'd1',
      sizeBytes: GiB,
      lvolUuid: 'u'.repeat(36),
      lvolAlias: 'a'.repeat(100),
      allocatedBytes: 0,
      export: { nqn: 'n'.repeat(200), address: '10.0.0.1', port: 4420, hostNqns: Array.from({ length: 20 }, () => 'h'.repeat(200)), namespaceUuid: '', namespaceNguid: '' },
      headParent: undefined,
      snapshotCount: 0,
    };
    // About 4 KiB per event: HTTP/2 flow control stops the server long before this many.
    for (let i = 0; i < 5000 && domain.listenerCount > 0; i++) domain.emit({ type: 'modified', replica: big, reason: `change ${i}` });
    await waitFor('the listener to be removed', () => domain.listenerCount === 0);
    stream.resume();
    await waitFor('the stream to end', () => ended);
    expect(ended).toMatchObject({ code: status.RESOURCE_EXHAUSTED, details: expect.stringMatching(/fell \d+ events behind; read faster, then watch again/) });
  });
});
