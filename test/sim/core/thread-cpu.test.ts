/**
 * The simulator's CPU clock counts the main thread (the reactor's stand-in) and not the process's
 * other threads: a spin of the main thread shows, a busy helper thread does not.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { cpuSource, mainThreadCpuMs } from '../../../spdk/sim/core/thread-cpu.js';

function processCpuMs(): number {
  const cpu = process.cpuUsage();
  return (cpu.user + cpu.system) / 1000;
}

describe.runIf(process.platform === 'linux')('mainThreadCpuMs', () => {
  it('reads the main thread of this process (vitest runs test files in forks)', () => {
    expect(cpuSource()).toBe('main-thread');
    const a = mainThreadCpuMs();
    const b = mainThreadCpuMs();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(a).toBeGreaterThan(0);
  });

  it('counts a spin of the main thread', () => {
    const before = mainThreadCpuMs();
    const processBefore = processCpuMs();
    // Spin until the process has used 60 ms of CPU: nothing else of this process runs meanwhile.
    let x = 0;
    while (processCpuMs() - processBefore < 60) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect(mainThreadCpuMs() - before).toBeGreaterThanOrEqual(45);
  });

  it('does not count another thread burning CPU while the main thread waits', async () => {
    const before = mainThreadCpuMs();
    const processBefore = processCpuMs();
    const worker = new Worker(
      `const start = process.cpuUsage();
       let x = 0;
       // The worker's own CPU: cpuUsage is the process's, and the main thread only waits.
       while (process.cpuUsage(start).user + process.cpuUsage(start).system < 300000) x += Math.sqrt(x + 1);
       require('node:worker_threads').parentPort.postMessage(x);`,
      { eval: true },
    );
    try {
      await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    } finally {
      await worker.terminate();
    }
    const processUsed = processCpuMs() - processBefore;
    const mainUsed = mainThreadCpuMs() - before;
    expect(processUsed).toBeGreaterThanOrEqual(300);
    // The worker's start (its isolate, the eval) costs the main thread a little; not its loop.
    expect(mainUsed, `main thread ${mainUsed.toFixed(1)} ms of ${processUsed.toFixed(1)} ms`).toBeLessThan(100);
  });
});
