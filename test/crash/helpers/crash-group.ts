/**
 * One operation's crash cases on one simulator of their own: a recording proxy in front of it, a
 * disk and a long-lived replica (two snapshots, exposed) that every case must leave intact, and at
 * most one service run at a time. Cases of a group run one after another (`step`); groups of
 * different operations run side by side, which one shared simulator could not allow: every
 * service recovers what it finds, another service's half-made objects included.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ExpectStatic } from 'vitest';
import { invoke, isServiceError } from '../../../src/api/client.js';
import { SimClient } from '../../sim/helpers/sim-client.js';
import { startSim, type RunningSim } from '../../sim/helpers/start-sim.js';
import { RpcProxy, type RecordedCall } from './rpc-proxy.js';
import { DISK, expose, HOST_A, snapshot, createReplica, writeVersion, type Scenario, type SetupContext } from './scenarios.js';
import { startService, type ServiceOptions, type ServiceRun } from './service.js';
import { lostProblems, newSnapshotTimeProblems, orphanProblems, readWorld, stateFileProblems, type World } from './world.js';
import { tempDir } from '../../helpers/temp-dir.js';

export interface CaseReport {
  operation: string;
  n: number;
  method: string;
  /** How the interrupted call ended for its caller. */
  call: string;
  /** The target's state after the restart, before the retry. */
  afterRestart: 'done' | 'not done' | 'half done';
  /** What was orphaned or lost after the restart. */
  problems: string[];
  retry: 'ok' | 'failed';
}

export class CrashGroup {
  private service: ServiceRun | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  /** The target's state after an uninterrupted run (and a clean restart). */
  private done: unknown;
  readonly reports: CaseReport[] = [];

  private constructor(
    readonly scenario: Scenario,
    private readonly dir: string,
    private readonly sim: RunningSim,
    private readonly proxy: RpcProxy,
    private readonly raw: SimClient,
    private readonly ports: { min: number; max: number },
  ) {}

  /** Starts the simulator, the proxy and a service, and makes the disk and the long-lived replica. */
  static async start(scenario: Scenario, portMin: number): Promise<CrashGroup> {
    const dir = tempDir(`crash-${scenario.prefix}-`);
    const sim = await startSim({ name: `crash-${scenario.prefix}`, socket: path.join(dir, 'spdk.sock'), args: ['--quiet'] });
    const proxy = await RpcProxy.start(sim.socket, path.join(dir, 'proxy.sock'));
    const raw = await SimClient.connect(sim.socket);
    const group = new CrashGroup(scenario, dir, sim, proxy, raw, { min: portMin, max: portMin + 99 });
    try {
      await group.init();
    } catch (error) {
      await group.close();
      throw error;
    }
    return group;
  }

  private async init(): Promise<void> {
    const svc = await this.running();
    const diskFile = path.join(this.dir, `${DISK}.img`);
    fs.writeFileSync(diskFile, '');
    fs.truncateSync(diskFile, 256 * 1024 * 1024);
    await invoke(svc.clients.disks, 'DiskCreate', { name: DISK, path: diskFile, kind: 'DISK_KIND_AIO' }, { deadlineMs: 30_000 });
    const ctx = this.setupContext(svc);
    const keep = await createReplica(ctx, 'keep');
    await writeVersion(ctx, keep, 1);
    await snapshot(ctx, keep, 'k1');
    await writeVersion(ctx, keep, 2);
    await snapshot(ctx, keep, 'k2');
    await writeVersion(ctx, keep, 3);
    await expose(ctx, keep, [HOST_A]);
  }

  /** Runs `work` after every earlier step of this group, whatever their outcome. */
  step<T>(work: () => Promise<T>): Promise<T> {
    const guarded = (): Promise<T> =>
      work().catch((error: unknown) => {
        const exit = this.sim.proc.exitCode ?? this.sim.proc.signalCode;
        if (exit === null) throw error;
        throw new Error(`${(error as Error).message}\n(the simulator exited (${exit}):\n${this.sim.stderr()})`, { cause: error });
      });
    const next = this.chain.then(guarded, guarded);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * The uninterrupted run: the SPDK calls the operation makes (read by the proxy up to a marker
   * call sent after the answer, so calls the operation leaves running in the background count),
   * and the target's state it leaves, read after a clean restart.
   */
  async measure(expect: ExpectStatic): Promise<string[]> {
    const { scenario } = this;
    const svc = await this.running();
    const prepared = await scenario.prepare(this.setupContext(svc), `${scenario.prefix}-base`);
    const before = await this.world(svc);
    expect(problems(before), 'before the operation').toEqual(NONE);
    const mark = this.proxy.mark;
    await scenario.run(svc.clients, prepared);
    // A disk delete of a disk that never existed sends exactly one call, bdev_aio_delete of d.marker.
    await invoke(svc.clients.disks, 'DiskDelete', { name: 'marker', wipe: false }, { deadlineMs: 10_000 }).catch(() => undefined);
    const calls = await until("the operation's calls answered, up to the marker", () => {
      const since = this.proxy.since(mark);
      const end = since.findIndex((c) => c.method === 'bdev_aio_delete' && (c.params as { name?: string } | undefined)?.name === 'd.marker');
      if (end < 0) return undefined;
      const mine = since.slice(0, end);
      return mine.every((c) => c.ok !== undefined) ? mine : undefined;
    });
    await this.stopService();
    const again = await this.running();
    const after = await this.world(again);
    expect(problems(after, before, prepared.name), 'after the uninterrupted operation and a restart').toEqual(NONE);
    this.done = scenario.view(after, prepared);
    expect(this.done, 'the operation changes its target').not.toEqual(scenario.view(before, prepared));
    return calls.map(describeCall);
  }

  /**
   * One case: prerequisites made by a service run without the kill point; the operation asked of
   * a run that SIGKILLs itself after its n-th SPDK call; then a run without the kill point must
   * recover to a state with nothing orphaned or lost where the operation is done or not done, and
   * a retry must succeed and leave the state the uninterrupted run left.
   */
  async crash(n: number, expect: ExpectStatic): Promise<CaseReport> {
    const { scenario } = this;
    if (this.done === undefined) throw new Error(`the uninterrupted ${scenario.operation} failed: no state to compare with`);
    const svc = await this.running();
    const prepared = await scenario.prepare(this.setupContext(svc), `${scenario.prefix}-k${n}`);
    const before = await this.world(svc);
    expect(problems(before), 'before the operation').toEqual(NONE);
    const notDone = scenario.view(before, prepared);
    await this.stopService();

    const killer = await startService(this.serviceOptions(`${scenario.operation}:${n}`));
    let outcome: unknown;
    const startedAt = Date.now();
    try {
      const mark = this.proxy.mark;
      outcome = await scenario.run(killer.clients, prepared).then(
        () => 'answered',
        (e: unknown) => e,
      );
      const exit = await killer.waitExit(15_000);
      expect(exit, `the service SIGKILLs itself after SPDK call ${n}`).toEqual({ code: null, signal: 'SIGKILL' });
      const made = this.proxy.since(mark).map((c) => c.method);
      expect(made.length, `SPDK calls sent before the kill: ${made.join(', ')}`).toBeGreaterThanOrEqual(n);
      expect(made, 'the calls sent are the start of the uninterrupted sequence').toEqual(scenario.calls.slice(0, made.length));
    } finally {
      killer.clients.close();
      if (killer.proc.exitCode === null && killer.proc.signalCode === null) {
        killer.proc.kill('SIGKILL');
        await killer.exited;
      }
    }
    if (n <= scenario.answered || outcome !== 'answered') {
      expect(isServiceError(outcome) ? outcome.code : outcome, `the interrupted call fails UNAVAILABLE or CANCELLED (${String(outcome)})`).toSatisfy(
        (code: unknown) => code === grpc.status.UNAVAILABLE || code === grpc.status.CANCELLED,
      );
    }

    const restarted = await this.running();
    const afterCrash = await this.world(restarted);
    const view = scenario.view(afterCrash, prepared);
    const report: CaseReport = {
      operation: scenario.operation,
      n,
      method: scenario.calls[n - 1] ?? '?',
      call: outcome === 'answered' ? 'answered' : isServiceError(outcome) ? (grpc.status[outcome.code] ?? String(outcome.code)) : String(outcome),
      afterRestart: sameJson(view, this.done) ? 'done' : sameJson(view, notDone) ? 'not done' : 'half done',
      problems: Object.values(problems(afterCrash, before, prepared.name)).flat(),
      retry: 'failed',
    };
    this.reports.push(report);
    // Soft: a half-made state is reported, and the retry is still judged.
    expect.soft(report.problems, 'nothing orphaned or lost after the crash and a restart').toEqual([]);
    expect.soft([notDone, this.done], 'after the crash and a restart the operation is either not done or done').toContainEqual(view);

    await scenario.run(restarted.clients, prepared);
    const afterRetry = await this.world(restarted);
    expect(problems(afterRetry, before, prepared.name), 'after the retry').toEqual(NONE);
    expect(newSnapshotTimeProblems(before, afterRetry, startedAt, Date.now()), 'creation times of new snapshots').toEqual([]);
    expect(scenario.view(afterRetry, prepared), 'the retry leaves what the uninterrupted run left').toEqual(this.done);
    report.retry = 'ok';
    return report;
  }

  async close(): Promise<void> {
    await this.stopService().catch(() => undefined);
    this.raw.close();
    await this.proxy.close();
    await this.sim.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** The service run without a kill point, started if none is running. */
  private async running(): Promise<ServiceRun> {
    if (this.service && this.service.proc.exitCode === null && this.service.proc.signalCode === null) return this.service;
    this.service = await startService(this.serviceOptions(undefined));
    return this.service;
  }

  private async stopService(): Promise<void> {
    const svc = this.service;
    this.service = undefined;
    if (!svc) return;
    const exit = await svc.stop();
    if (exit.code !== 0) throw new Error(`the service did not stop cleanly (${exit.code ?? exit.signal}):\n${svc.output()}`);
  }

  private serviceOptions(killAfter: string | undefined): ServiceOptions {
    return { spdkSocket: this.proxy.socket, dir: this.dir, portMin: this.ports.min, portMax: this.ports.max, ...(killAfter ? { killAfter } : {}) };
  }

  private setupContext(svc: ServiceRun): SetupContext {
    return { clients: svc.clients, sim: this.raw, dir: this.dir };
  }

  private world(svc: ServiceRun): Promise<World> {
    return readWorld(svc.clients, this.raw, path.join(this.dir, 'state.json'));
  }
}

const NONE = { orphans: [], stateFile: [], lost: [] };

function problems(world: World, before?: World, changing?: string): { orphans: string[]; stateFile: string[]; lost: string[] } {
  return {
    orphans: orphanProblems(world),
    stateFile: stateFileProblems(world),
    lost: before ? lostProblems(before, world, changing === undefined ? {} : { replica: changing }) : [],
  };
}

function describeCall(call: RecordedCall): string {
  return call.ok ? call.method : `${call.method} (failed)`;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function until<T>(what: string, condition: () => T | undefined, deadlineMs = 10_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = condition();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
