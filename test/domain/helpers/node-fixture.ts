/**
 * A node for domain tests: a simulator process and the service on it, started in-process as serve
 * starts it (src/service.ts), with its state file and API socket in a temp dir, recovered and
 * ready. `restart()` closes the service and starts a fresh one on the same simulator and state
 * file, as a service restart would.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../../src/config/load.js';
import type { NodeService } from '../../../src/domain/node/node-service.js';
import { startService, type ServiceHandle } from '../../../src/service.js';
import type { SpdkClient } from '../../../src/spdk/client.js';
import { startSim, type RunningSim } from '../../sim/helpers/start-sim.js';
import { type RequestRewrite, RpcProxy } from '../../crash/helpers/rpc-proxy.js';
import { portBlock } from '../../helpers/ports.js';

export interface NodeFixture {
  sim: RunningSim;
  dir: string;
  client: SpdkClient;
  node: NodeService;
  /** With `recordCalls`: every request the service sends spdk_tgt, in order (test/crash/helpers/rpc-proxy.ts). */
  proxy: RpcProxy | undefined;
  /** With `api`: host:port of this node's gRPC API (the same across restarts), for peers. */
  apiAddress: string | undefined;
  /** A sparse file usable as an aio disk. */
  diskFile(name: string, sizeMib?: number): string;
  /** `beforeStart`: runs with the service stopped (e.g. to put the state file in a crash's state). */
  restart(beforeStart?: () => void): Promise<void>;
  close(): Promise<void>;
}

export interface NodeFixtureOptions {
  portMin?: number;
  env?: Record<string, string>;
  /** Serve the gRPC API on TCP (what peers use) and reach other nodes' APIs for rebuilds. */
  api?: boolean;
  /** Extra simulator flags (e.g. --mem-mib). */
  simArgs?: string[];
  /** The service reaches the simulator through a recording proxy (`fixture.proxy`). */
  recordCalls?: boolean;
  /** The service reaches the simulator through a recording proxy that forwards each request as this returns it (implies `recordCalls`). */
  rewriteCalls?: RequestRewrite;
  /** The service's root logger (default: silent, or TEST_LOG_LEVEL): a test that reads what the service logs. */
  logger?: pino.Logger;
}

export async function startNode(options: NodeFixtureOptions = {}): Promise<NodeFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conductor-node-'));
  const sim = await startSim({ name: 'node', socket: path.join(dir, 'spdk.sock'), args: ['--mem-dump', path.join(dir, 'mem-dump.txt'), ...(options.simArgs ?? [])] });
  const proxy = options.recordCalls || options.rewriteCalls ? await RpcProxy.start(sim.socket, path.join(dir, 'proxy.sock'), { rewrite: options.rewriteCalls }) : undefined;
  const portMin = options.portMin ?? portBlock();
  // Without `api` the API listens on a socket in the temp dir only; with it, on a TCP port that
  // stays the same across restarts: peers know a node by its address.
  let apiPort = 0;
  const config = () =>
    loadConfig({
      env: {
        CONDUCTOR_SPDK_SOCKET: proxy?.socket ?? sim.socket,
        CONDUCTOR_API_SOCKET: path.join(dir, 'api.sock'),
        CONDUCTOR_API_TCP: options.api ? `127.0.0.1:${apiPort}` : 'off',
        CONDUCTOR_API_TCP_INSECURE: options.api ? 'true' : 'false',
        CONDUCTOR_STATE_FILE: path.join(dir, 'state.json'),
        CONDUCTOR_EXPORT_PORT_MIN: String(portMin),
        CONDUCTOR_EXPORT_PORT_MAX: String(portMin + 99),
        ...options.env,
      },
    });
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  let service: ServiceHandle | undefined;
  const fixture: NodeFixture = {
    sim,
    dir,
    client: undefined as unknown as SpdkClient,
    node: undefined as unknown as NodeService,
    proxy,
    apiAddress: undefined,
    diskFile(name, sizeMib = 1024) {
      const file = path.join(dir, `${name}.img`);
      const fd = fs.openSync(file, 'w');
      fs.ftruncateSync(fd, sizeMib * 1024 * 1024);
      fs.closeSync(fd);
      return file;
    },
    async restart(beforeStart?: () => void) {
      await service?.close();
      service = undefined;
      beforeStart?.();
      // An empty sysfs: the budget's host io_timeout is the configured one, whatever this host's nvme_core says.
      service = await startService(config(), { logger, sysfsRoot: dir, api: { shutdownGraceMs: 100 } });
      fixture.client = service.client;
      fixture.node = service.domain;
      if (options.api) {
        apiPort = service.api.tcp!.port;
        fixture.apiAddress = `127.0.0.1:${apiPort}`;
      }
      const report = await service.recovered;
      if (!report) throw new Error(`recovery did not finish: ${service.readiness().reason}`);
    },
    async close() {
      await service?.close();
      await proxy?.close();
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
