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
import { createNodeDomain, type NodeService } from '../../../src/domain/node/node-service.js';
import { SpdkClient } from '../../../src/spdk/client.js';
import { startApiServer, type ApiServer } from '../../../src/api/server.js';
import { GrpcPeerDirectory } from '../../../src/peers/grpc-peers.js';
import { startSim, type RunningSim } from '../../sim/helpers/start-sim.js';
import { portBlock } from '../../helpers/ports.js';

export interface NodeFixture {
  sim: RunningSim;
  dir: string;
  client: SpdkClient;
  node: NodeService;
  /** With `api`: host:port of this node's gRPC API (the same across restarts), for peers. */
  apiAddress: string | undefined;
  /** A sparse file usable as an aio disk. */
  diskFile(name: string, sizeMib?: number): string;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface NodeFixtureOptions {
  portMin?: number;
  env?: Record<string, string>;
  /** Serve the gRPC API on TCP (what peers use) and reach other nodes' APIs for rebuilds. */
  api?: boolean;
  /** Extra simulator flags (e.g. --mem-mib). */
  simArgs?: string[];
}

export async function startNode(options: NodeFixtureOptions = {}): Promise<NodeFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conductor-node-'));
  const sim = await startSim({ name: 'node', socket: path.join(dir, 'spdk.sock'), args: ['--mem-dump', path.join(dir, 'mem-dump.txt'), ...(options.simArgs ?? [])] });
  const portMin = options.portMin ?? portBlock();
  const config = loadConfig({ env: { CONDUCTOR_STATE_FILE: path.join(dir, 'state.json'), CONDUCTOR_EXPORT_PORT_MIN: String(portMin), CONDUCTOR_EXPORT_PORT_MAX: String(portMin + 99), ...options.env } });
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  let api: ApiServer | undefined;
  let apiPort = 0;
  const fixture: NodeFixture = {
    sim,
    dir,
    client: undefined as unknown as SpdkClient,
    node: undefined as unknown as NodeService,
    apiAddress: undefined,
    diskFile(name, sizeMib = 1024) {
      const file = path.join(dir, `${name}.img`);
      const fd = fs.openSync(file, 'w');
      fs.ftruncateSync(fd, sizeMib * 1024 * 1024);
      fs.closeSync(fd);
      return file;
    },
    async restart() {
      await api?.close();
      await fixture.node?.close();
      await fixture.client?.close();
      fixture.client = new SpdkClient({ socketPath: sim.socket, logger });
      fixture.node = createNodeDomain({ client: fixture.client, logger, config, ...(options.api ? { peers: new GrpcPeerDirectory(logger) } : {}) });
      if (options.api) {
        // The same port across restarts: peers know a node by its address.
        api = await startApiServer({ domain: fixture.node, logger, tcpAddress: `127.0.0.1:${apiPort}`, shutdownGraceMs: 100 });
        apiPort = api.ports.tcp!.port;
        fixture.apiAddress = `127.0.0.1:${apiPort}`;
      }
      const report = await fixture.node.start();
      if (!report) throw new Error(`recovery did not finish: ${fixture.node.readiness().reason}`);
    },
    async close() {
      await api?.close();
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
