/**
 * A node for domain tests: a simulator process, the real client, the real domain with a state
 * file in a temp dir, recovered and ready. `restart()` builds a fresh domain (and client) on the
 * same simulator and state file, as a service restart would.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../../src/config/load.js';
import { createNodeDomain, type NodeService } from '../../../src/domain/node-domain.js';
import { SpdkClient } from '../../../src/spdk/client.js';
import { startSim, type RunningSim } from '../../sim/helpers/start-sim.js';

export interface NodeFixture {
  sim: RunningSim;
  dir: string;
  client: SpdkClient;
  node: NodeService;
  /** A sparse file usable as an aio disk. */
  diskFile(name: string, sizeMib?: number): string;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startNode(options: { portMin?: number; env?: Record<string, string> } = {}): Promise<NodeFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conductor-node-'));
  const sim = await startSim({ name: 'node', socket: path.join(dir, 'spdk.sock') });
  const portMin = options.portMin ?? 21000 + Math.floor(Math.random() * 20) * 100;
  const config = loadConfig({ env: { CONDUCTOR_STATE_FILE: path.join(dir, 'state.json'), CONDUCTOR_EXPORT_PORT_MIN: String(portMin), CONDUCTOR_EXPORT_PORT_MAX: String(portMin + 99), ...options.env } });
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const fixture: NodeFixture = {
    sim,
    dir,
    client: undefined as unknown as SpdkClient,
    node: undefined as unknown as NodeService,
    diskFile(name, sizeMib = 1024) {
      const file = path.join(dir, `${name}.img`);
      const fd = fs.openSync(file, 'w');
      fs.ftruncateSync(fd, sizeMib * 1024 * 1024);
      fs.closeSync(fd);
      return file;
    },
    async restart() {
      await fixture.node?.close();
      await fixture.client?.close();
      fixture.client = new SpdkClient({ socketPath: sim.socket, logger });
      fixture.node = createNodeDomain({ client: fixture.client, logger, config });
      const report = await fixture.node.start();
      if (!report) throw new Error(`recovery did not finish: ${fixture.node.readiness().reason}`);
    },
    async close() {
      await fixture.node?.close();
      await fixture.client?.close();
      await sim.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await fixture.restart();
  } catch (error) {
    await fixture.close();
    throw error;
  }
  return fixture;
}
