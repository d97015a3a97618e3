/**
 * Export ports another process holds: spdk_tgt cannot listen there, and the service learns it
 * once. The first export that meets such a port pays one failed listen and moves on; later
 * exports skip it without asking spdk_tgt; when the rest of the range is ours it is tried again,
 * and taken once the other process let it go.
 */
import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { SpdkCallContext } from '../../src/diagnostics.js';
import { PortRange } from '../../src/domain/node/naming.js';
import { portBlock } from '../helpers/ports.js';
import { startNode, type NodeFixture } from './helpers/node-fixture.js';

const MIB = 1024 * 1024;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:8d2a6d6e-3333-4c5e-9c66-5a1b2c3d4e5f';

let node: NodeFixture | undefined;
let holder: net.Server | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
  await new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve()));
  holder = undefined;
});

/** Another process's listener, as far as spdk_tgt is concerned: a socket this test process holds. */
async function hold(port: number): Promise<net.Server> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

/** How many listens spdk_tgt refused (only the held port can be refused here). */
function refusedListens(): { count: () => number; stop: () => void } {
  let refused = 0;
  const channel = diagnostics.channel('tracing:spdk-conductor:spdk:call:asyncEnd');
  const onEnd = (message: unknown) => {
    const m = message as SpdkCallContext;
    if (m.method === 'nvmf_subsystem_add_listener' && m.outcome === 'rpc-error') refused++;
  };
  channel.subscribe(onEnd);
  return { count: () => refused, stop: () => channel.unsubscribe(onEnd) };
}

describe('export ports held by another process', () => {
  it('costs one failed listen, not one per create, and is tried again when the range runs out', { timeout: 120_000 }, async () => {
    const portMin = portBlock();
    const busy = portMin + 1;
    holder = await hold(busy);
    node = await startNode({ portMin, env: { CONDUCTOR_EXPORT_PORT_MAX: String(portMin + 4) } });
    const f = node;
    await f.node.diskCreate({ name: 'd1', path: f.diskFile('d1') });
    const refused = refusedListens();
    try {
      const ports: number[] = [];
      for (const name of ['r0', 'r1', 'r2']) ports.push((await f.node.replicaCreate(name, 'd1', 4 * MIB, {}, [HOST])).export!.port);
      expect(ports).toEqual([portMin, portMin + 2, portMin + 3]);
      // Freed, the lowest port goes to the next export; the held one is not asked about again.
      await f.node.replicaDelete('r0');
      expect((await f.node.replicaCreate('r3', 'd1', 4 * MIB, {}, [HOST])).export!.port).toBe(portMin);
      expect(refused.count()).toBe(1);
      expect((await f.node.replicaCreate('r4', 'd1', 4 * MIB, {}, [HOST])).export!.port).toBe(portMin + 4);

      // Every other port is ours now: the held one is worth asking again, and is free by then.
      await new Promise<void>((resolve) => holder!.close(() => resolve()));
      holder = undefined;
      expect((await f.node.replicaCreate('r5', 'd1', 4 * MIB, {}, [HOST])).export!.port).toBe(busy);
      // Asked again, once, and listened this time.
      expect(refused.count()).toBe(1);
      await expect(f.node.replicaCreate('r6', 'd1', 4 * MIB, {}, [HOST])).rejects.toMatchObject({ code: 'PORTS_EXHAUSTED' });
    } finally {
      refused.stop();
    }
  });
});

describe('PortRange', () => {
  it('skips a busy port until the range runs out or the re-check interval passed', () => {
    let clock = 0;
    const range = new PortRange(100, 103, () => clock);
    expect(range.take()).toBe(100);
    expect(range.take()).toBe(101);
    range.release(101);
    expect(range.markBusy(101)).toBe(true);
    expect(range.markBusy(101)).toBe(false);
    expect(range.take()).toBe(102);
    range.release(100);
    expect(range.take()).toBe(100);
    // The interval passed: the busy port is the lowest free one again.
    clock += 10 * 60_000 + 1;
    expect(range.take()).toBe(101);
    expect(range.take()).toBe(103);
    expect(() => range.take()).toThrow(expect.objectContaining({ code: 'PORTS_EXHAUSTED' }) as Error);
  });
});
