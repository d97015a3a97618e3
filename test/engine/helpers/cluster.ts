/**
 * A small cluster for engine tests, every node a real simulator process: replica nodes (each with
 * the real domain, a disk and one replica exposed to the engine node), an engine node, and a host
 * (a simulator whose bdev_nvme attaches the engine's export as a kernel host would, and whose
 * sim_bdev_write with timeout_ms gives up on a write like a host at its io_timeout).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { EngineInfo, EngineReplicaSpec } from '../../../src/domain/model.js';
import { SpdkClient } from '../../../src/spdk/client.js';
import pino from 'pino';
import { startSim, type RunningSim } from '../../sim/helpers/start-sim.js';
import { startNode, type NodeFixture } from '../../domain/helpers/node-fixture.js';
import { portBlock } from '../../helpers/ports.js';

export const ENGINE_HOST_NQN = 'nqn.2024-11.io.spdk-conductor:engine:test-engine-node';
export const HOST_NQN = 'nqn.2014-08.org.nvmexpress:uuid:6a1c0b3e-0000-4000-8000-00000000c0de';
export const MIB = 1024 * 1024;
export const BLOCK = 4096;

/** Scaled-down budget (integer seconds are SPDK's unit): member failed by ~2 s, controller gone by ~3 s. */
export const FAST_BUDGET: Record<string, string> = {
  CONDUCTOR_TIMEOUTS_REPLICA_RECONNECT_DELAY_SEC: '1',
  CONDUCTOR_TIMEOUTS_REPLICA_FAST_IO_FAIL_TIMEOUT_SEC: '1',
  CONDUCTOR_TIMEOUTS_REPLICA_CTRLR_LOSS_TIMEOUT_SEC: '2',
  CONDUCTOR_TIMEOUTS_REPLICA_KEEP_ALIVE_TIMEOUT_MS: '1000',
  CONDUCTOR_TIMEOUTS_HOST_IO_TIMEOUT_SEC: '5',
  CONDUCTOR_TIMEOUTS_HOST_CTRL_LOSS_TMO_SEC: '6',
  CONDUCTOR_TIMEOUTS_HOST_RECONNECT_DELAY_SEC: '1',
  CONDUCTOR_TIMEOUTS_HOST_KEEP_ALIVE_TMO_SEC: '1',
};

export interface ReplicaNode {
  fixture: NodeFixture;
  replica: string;
  spec: EngineReplicaSpec;
  /** The replica's head lvol in its simulator. */
  bdev: string;
}

export async function replicaNode(name: string, replica: string, sizeBytes: number): Promise<ReplicaNode> {
  const fixture = await startNode({ portMin: portBlock() });
  await fixture.node.diskCreate({ name: 'd', path: fixture.diskFile('d', 256) });
  await fixture.node.replicaCreate(replica, 'd', sizeBytes);
  const exposed = await fixture.node.replicaExpose(replica, [ENGINE_HOST_NQN]);
  return {
    fixture,
    replica,
    bdev: exposed.lvolAlias,
    spec: { name: replica, kind: 'remote', address: '127.0.0.1', port: exposed.export!.port, nqn: exposed.export!.nqn },
  };
}

/** Another replica on an existing replica node (one engine path per replica: spdk_tgt refuses two). */
export async function anotherReplica(node: ReplicaNode, replica: string, sizeBytes: number): Promise<EngineReplicaSpec> {
  await node.fixture.node.replicaCreate(replica, 'd', sizeBytes);
  const exposed = await node.fixture.node.replicaExpose(replica, [ENGINE_HOST_NQN]);
  return { name: replica, kind: 'remote', address: '127.0.0.1', port: exposed.export!.port, nqn: exposed.export!.nqn };
}

/** `recordCalls`: the service's SPDK calls are recorded (`fixture.proxy`). */
export async function engineNode(env: Record<string, string> = FAST_BUDGET, recordCalls = false): Promise<NodeFixture> {
  return startNode({ portMin: portBlock(), recordCalls, env: { CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST_NQN, CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '200', ...env } });
}

/** The host: attaches the engine's export and writes to it, remembering what it wrote. */
export class Host {
  readonly written = new Map<number, Buffer>();
  failures: string[] = [];
  private constructor(
    readonly sim: RunningSim,
    readonly rpc: SpdkClient,
    readonly bdev: string,
    readonly blocks: number,
  ) {}

  static async attach(engine: EngineInfo, options: { ctrlLossTmoSec: number; reconnectDelaySec: number }): Promise<Host> {
    const sim = await startSim({ name: 'host' });
    const rpc = new SpdkClient({ socketPath: sim.socket, logger: pino({ level: 'silent' }) });
    const frontend = engine.frontend!;
    const [bdev] = await rpc.call<string[]>('bdev_nvme_attach_controller', {
      name: 'vol',
      trtype: 'tcp',
      adrfam: 'ipv4',
      traddr: frontend.address,
      trsvcid: String(frontend.port),
      subnqn: frontend.nqn,
      hostnqn: HOST_NQN,
      ctrlr_loss_timeout_sec: options.ctrlLossTmoSec,
      reconnect_delay_sec: options.reconnectDelaySec,
    });
    return new Host(sim, rpc, bdev!, engine.sizeBytes / BLOCK);
  }

  /** One write of a random block with fresh content; a failure is recorded, never thrown. */
  async writeOne(ioTimeoutMs: number): Promise<void> {
    const block = Math.floor(Math.random() * this.blocks);
    const data = randomBytes(BLOCK);
    try {
      await this.rpc.callUnchecked('sim_bdev_write', { name: this.bdev, offset_blocks: block, data_base64: data.toString('base64'), timeout_ms: ioTimeoutMs }, { deadlineMs: ioTimeoutMs + 30_000 });
      this.written.set(block, data);
    } catch (error) {
      this.failures.push(`block ${block}: ${(error as Error).message}`);
      // The block's content is now unknown (the write may or may not have landed anywhere).
      this.written.delete(block);
      this.unknown.add(block);
    }
  }

  readonly unknown = new Set<number>();

  /** Writes in a loop until `stop` resolves. */
  async writeUntil(stop: Promise<void>, ioTimeoutMs: number): Promise<number> {
    let done = false;
    void stop.then(() => {
      done = true;
    });
    let count = 0;
    // Failures are the test's verdict, not a reason to spin: a broken host stops the loop.
    while (!done && this.failures.length < 20) {
      await this.writeOne(ioTimeoutMs);
      count++;
    }
    return count;
  }

  /** sha256 of the whole volume as the host wrote it (unwritten blocks are zeros). */
  expectedChecksum(): string {
    const hash = createHash('sha256');
    const zero = Buffer.alloc(BLOCK);
    for (let b = 0; b < this.blocks; b++) hash.update(this.written.get(b) ?? zero);
    return hash.digest('hex');
  }

  async close(): Promise<void> {
    await this.rpc.close();
    await this.sim.stop();
  }
}

export async function checksum(rpc: SpdkClient, bdev: string): Promise<string> {
  const result = await rpc.callUnchecked<{ sha256?: string; checksum?: string }>('sim_bdev_checksum', { name: bdev });
  return result.sha256 ?? result.checksum ?? JSON.stringify(result);
}

/** Polls `probe` until it returns a value; fails with `what` after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
