/**
 * Ports kept across re-creation (issue 12 item 6): an engine deleted and created again under the
 * same name gets the export port it had, and so does a replica exposed again after an unexpose,
 * when the port is free, even when a lower port is free too (which is what a new name gets), and
 * also after the service restarted in between (the state file remembers, bounded).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateFile } from '../../src/domain/node/state-file.js';
import { startNode, type NodeFixture } from './helpers/node-fixture.js';
import { createLocalEngine } from '../helpers/local-engine.js';

const MIB = 1024 * 1024;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:8d2a6d6e-4444-4c5e-9c66-5a1b2c3d4e5f';

let f: NodeFixture;

function keptPorts(): Record<string, number> | undefined {
  return (JSON.parse(fs.readFileSync(path.join(f.dir, 'state.json'), 'utf8')) as { keptPorts?: Record<string, number> }).keptPorts;
}

async function exposedPort(name: string): Promise<number> {
  return (await f.node.replicaExpose(name, [HOST])).export!.port;
}

async function createEngine(): Promise<number> {
  const engine = await createLocalEngine(f.node, 'vol', 8 * MIB, ['m1', 'm2'], HOST);
  return engine.frontend!.port;
}

beforeAll(async () => {
  f = await startNode();
  await f.node.diskCreate({ name: 'd', path: f.diskFile('d', 256) });
  for (const name of ['r0', 'r1', 'r2', 'm1', 'm2']) await f.node.replicaCreate(name, 'd', 8 * MIB);
}, 120_000);

afterAll(async () => {
  await f?.close();
});

describe('export ports across delete and create of the same name', () => {
  it('gives an engine and a replica export their old port back, before and after a service restart', async () => {
    const ports = [await exposedPort('r0'), await exposedPort('r1'), await exposedPort('r2')];
    const enginePort = await createEngine();
    expect(new Set([...ports, enginePort]).size).toBe(4);

    // Holes below: a new name would get the lowest free port.
    await f.node.replicaUnexpose('r0');
    await f.node.replicaUnexpose('r1');
    await f.node.engineDelete('vol');
    expect(keptPorts()).toMatchObject({ 'export/r0': ports[0], 'export/r1': ports[1], 'engine/vol': enginePort });

    expect(await createEngine(), 'the engine made again').toBe(enginePort);
    expect(await exposedPort('r1'), 'r1 exposed again').toBe(ports[1]);
    // Taken again: no longer a kept port.
    expect(keptPorts()?.['engine/vol']).toBeUndefined();
    expect(keptPorts()?.['export/r1']).toBeUndefined();

    // The same after a restart of the service between the delete and the create.
    await f.node.engineDelete('vol');
    await f.node.replicaUnexpose('r2');
    await f.restart();
    expect(await exposedPort('r2'), 'r2 exposed again after a restart').toBe(ports[2]);
    expect(await createEngine(), 'the engine made again after a restart').toBe(enginePort);
    // A name with no kept port takes the lowest free one (r0's, which r0 no longer holds).
    await f.node.replicaCreate('r3', 'd', 8 * MIB);
    expect(await exposedPort('r3')).toBe(Math.min(...ports));
  });

  it('remembers a bounded number of ports, forgetting the oldest first', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kept-ports-'));
    try {
      const state = StateFile.open(path.join(dir, 'state.json'), pino({ level: 'silent' }));
      for (let i = 0; i < 1030; i++) state.keepPort(`engine/e${i}`, 10_000 + (i % 1000));
      expect(state.keptPort('engine/e0')).toBeUndefined();
      expect(state.keptPort('engine/e5')).toBeUndefined();
      expect(state.keptPort('engine/e6')).toBe(10_006);
      expect(state.keptPort('engine/e1029')).toBe(10_029);
      // Kept again: it becomes the newest.
      state.keepPort('engine/e6', 10_500);
      for (let i = 1030; i < 1033; i++) state.keepPort(`engine/e${i}`, 10_000);
      expect(state.keptPort('engine/e6')).toBe(10_500);
      expect(state.keptPort('engine/e7')).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
