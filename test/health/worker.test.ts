/**
 * The health worker in a real service process (`serve` on a simulator socket): /livez and the
 * worker's grpc.health.v1 answer while the main event loop is blocked (CONDUCTOR_TEST_BLOCK_LOOP,
 * SIGUSR2), liveness turns NOT_SERVING once the block passes health.livenessStallSec (1 s here)
 * and SERVING again after it, a Watch stream sees both; readiness reasons still flow (spdk_tgt
 * killed and started again); the worker's socket is gone after a clean stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, type ApiClients } from '../../src/api/client.js';
import { HEALTH_REASON_TRAILER } from '../../src/api/health-grpc.js';
import { waitFor } from '../api/helpers/api-server.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startSim, type RunningSim } from '../sim/helpers/start-sim.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
/** Generous: the machine may be shared by many test runs; what matters is that an answer comes while the loop is blocked. */
const PROBE_DEADLINE_MS = 1_500;
const BLOCK_MS = 2_500;

interface Probe {
  status: string;
  reason: string;
}

async function livez(port: number, target = '/livez'): Promise<Probe & { code: number }> {
  const res = await fetch(`http://127.0.0.1:${port}${target}`, { signal: AbortSignal.timeout(PROBE_DEADLINE_MS) });
  const reason = (await res.text()).trim();
  return { code: res.status, status: res.status === 200 ? 'SERVING' : 'NOT_SERVING', reason };
}

async function check(api: ApiClients, name: string): Promise<Probe> {
  let reason = '';
  const status = await api.healthCheck(name, {
    deadlineMs: PROBE_DEADLINE_MS,
    onTrailers: (trailers) => {
      reason = String(trailers.get(HEALTH_REASON_TRAILER)[0] ?? '');
    },
  });
  return { status, reason };
}

describe('health worker: answers while the main loop is blocked', () => {
  let dir: string;
  let sim: RunningSim;
  let proc: ChildProcess;
  let output = '';
  let httpPort: number;
  let worker: ApiClients;
  let exited: Promise<number | null>;

  beforeAll(async () => {
    dir = tempDir('health-worker-');
    sim = await startSim({ name: 'node', socket: path.join(dir, 'spdk.sock') });
    const portMin = portBlock();
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      CONDUCTOR_TEST_BLOCK_LOOP: String(BLOCK_MS),
      CONDUCTOR_HEALTH_LIVENESS_STALL_SEC: '1',
      CONDUCTOR_HEALTH_SPDK_PROBE_MS: '200',
      CONDUCTOR_HEALTH_SPDK_PROBE_DEADLINE_MS: '500',
      CONDUCTOR_HEALTH_THREAD_NICE: '-4',
      CONDUCTOR_HEALTH_MAIN_THREAD_NICE: '3',
    };
    const args = ['serve', '--spdk-socket', sim.socket, '--api-socket', path.join(dir, 'api.sock'), '--api-tcp', 'off', '--state-file', path.join(dir, 'state.json')];
    args.push('--export-port-min', String(portMin), '--export-port-max', String(portMin + 99), '--http-address', '127.0.0.1:0', '--log-level', 'info');
    proc = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    const listening = await waitFor(
      'the health worker listening',
      () => {
        if (proc.exitCode !== null) throw new Error(`the service exited:\n${output}`);
        const line = output.split('\n').find((l) => l.includes('"health worker listening"'));
        return line !== undefined && (JSON.parse(line) as { http: { port: number }; grpc: string; httpMsSinceProcessStart: number });
      },
      30_000,
    );
    httpPort = listening.http.port;
    // How soon a probe could be answered; a figure, not a bound (the machine's load decides it).
    expect(listening.httpMsSinceProcessStart).toBeGreaterThan(0);
    expect(listening.grpc).toBe(`unix:${path.join(dir, 'api-health.sock')}`);
    worker = createApiClients({ unixSocket: path.join(dir, 'api-health.sock') });
    await waitFor('readiness SERVING on the worker', async () => (await check(worker, 'readiness')).status === 'SERVING', 30_000);
  }, 60_000);

  afterAll(async () => {
    worker?.close();
    if (proc && proc.exitCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
    await sim?.stop();
  });

  it('answers /livez and gRPC liveness through a 2.5 s block: NOT_SERVING past the 1 s bound, SERVING after', async () => {
    const watch = watchLiveness(path.join(dir, 'api-health.sock'));
    try {
      await waitFor('the Watch stream to see SERVING', () => watch.seen.includes('SERVING'), 10_000);
      expect(await livez(httpPort)).toEqual({ code: 200, status: 'SERVING', reason: 'ok' });
      proc.kill('SIGUSR2');
      // Every probe below must answer within its deadline; the stall shows in what they say.
      const stalled = await waitFor(
        'liveness NOT_SERVING for the stall on /livez',
        async () => {
          const answer = await livez(httpPort);
          return answer.code === 503 && answer;
        },
        10_000,
      );
      expect(stalled.reason).toMatch(/^the event loop has not turned for \d+ s \(bound 1 s\)$/);
      const grpcStalled = await check(worker, 'liveness');
      const readyz = await livez(httpPort, '/readyz');
      const verbose = JSON.parse((await livez(httpPort, '/livez?verbose')).reason);
      // Still inside the block (it lasts 2.5 s and the bound is 1 s), answered by the worker.
      expect(grpcStalled.status).toBe('NOT_SERVING');
      expect(grpcStalled.reason).toMatch(/event loop has not turned/);
      expect(readyz).toMatchObject({ code: 503, reason: expect.stringMatching(/event loop has not turned/) });
      expect(verbose.heartbeatAgeMs).toBeGreaterThan(1000);
      expect(verbose.checks).toContainEqual(expect.objectContaining({ name: 'event-loop', ok: false }));
      await waitFor('liveness SERVING after the block', async () => (await livez(httpPort)).code === 200, 15_000);
      await waitFor('gRPC liveness SERVING after the block', async () => (await check(worker, 'liveness')).status === 'SERVING', 15_000);
      await waitFor('the Watch stream to see NOT_SERVING then SERVING', () => watch.seen.join(',').includes('SERVING,NOT_SERVING,SERVING'), 15_000);
      await waitFor(
        'the block logged by the service and the stall by the worker',
        () => output.includes('event loop block over') && output.includes('has not turned within the liveness bound'),
        10_000,
      );
    } finally {
      watch.close();
    }
    const after = JSON.parse((await livez(httpPort, '/readyz?verbose')).reason);
    // The main loop's delay is measured: a window holding the block reports it.
    await waitFor('the loop delay window with the block', async () => JSON.parse((await livez(httpPort, '/readyz?verbose')).reason).eventLoopDelay.maxMs >= BLOCK_MS - 500, 30_000);
    expect(after.eventLoopDelay).toMatchObject({ p50Ms: expect.any(Number), p99Ms: expect.any(Number), maxMs: expect.any(Number), windowMs: expect.any(Number) });
  }, 90_000);

  it("runs the health thread ahead of the main thread for the CPU: its nice value below the main thread's", () => {
    const nice = threadNices(proc.pid!);
    // The service inherits this process's nice value (a run under `nice -n 19` starts it at 19); the
    // main thread is only ever raised to its setting, never lowered (that would need the privilege).
    const inherited = os.getPriority();
    // Raising the main thread's value needs no privilege.
    expect(nice.get(proc.pid!)).toBe(Math.max(3, inherited));
    const line = output.split('\n').find((l) => l.includes('health thread priority'));
    expect(line).toBeDefined();
    const fields = JSON.parse(line!) as { msg: string; to?: number; reason?: string };
    if (fields.to !== undefined) {
      // Privileged (CAP_SYS_NICE): the thread has the value asked for, and it is the only one.
      expect(fields.to).toBe(-4);
      expect([...nice.values()].filter((n) => n === -4)).toHaveLength(1);
    } else {
      // Without the privilege it says so, and why; nothing else changed.
      expect(fields.reason).toBe('lowering a nice value needs CAP_SYS_NICE');
      expect([...nice.values()].some((n) => n < 0)).toBe(false);
    }
  });

  it('still carries readiness reasons: spdk_tgt killed is NOT_SERVING with why, back when it returns', async () => {
    await sim.kill();
    const down = await waitFor(
      'readiness NOT_SERVING on the worker',
      async () => {
        const answer = await check(worker, 'readiness');
        return answer.status === 'NOT_SERVING' && answer;
      },
      10_000,
    );
    expect(down.reason).toMatch(/spdk_tgt/);
    expect(await livez(httpPort, '/readyz')).toMatchObject({ code: 503, reason: expect.stringMatching(/spdk_tgt/) });
    expect(await livez(httpPort)).toMatchObject({ code: 200 });
    expect((await check(worker, '')).status).toBe('NOT_SERVING');
    sim = await startSim({ name: 'node', socket: sim.socket });
    await waitFor('readiness SERVING again', async () => (await livez(httpPort, '/readyz')).code === 200, 20_000);
    expect((await check(worker, 'spdk.conductor.v1.Replicas')).status).toBe('SERVING');
  }, 60_000);

  it('stops cleanly on SIGTERM, its socket removed', async () => {
    worker.close();
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(fs.existsSync(path.join(dir, 'api-health.sock'))).toBe(false);
  }, 30_000);
});

/** A grpc.health.v1 Watch of "liveness", collecting the statuses it is sent. */
function watchLiveness(socket: string): { seen: string[]; close(): void } {
  const Client = grpc.makeGenericClientConstructor(healthService, 'Health');
  const client = new Client(`unix:${socket}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
  };
  const seen: string[] = [];
  const stream = client.Watch({ service: 'liveness' });
  stream.on('data', (message: { status: string }) => seen.push(message.status));
  stream.on('error', () => undefined);
  return {
    seen,
    close() {
      stream.cancel();
      client.close();
    },
  };
}

/** Each thread's nice value, by thread id (Linux: /proc/PID/task/TID/stat, field 19). */
function threadNices(pid: number): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // After the command's closing parenthesis: state is field 3, nice is field 19.
    nices.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return nices;
}
