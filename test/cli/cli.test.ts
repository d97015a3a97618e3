/**
 * The CLI as a user runs it: the built program, real processes, the embedded simulator.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');

function run(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [CLI, ...args], { reject: false, env: { ...env, CONDUCTOR_LOG_LEVEL: 'warn' }, extendEnv: false, timeout: 30_000 });
}

describe('spdk-conductor CLI', () => {
  it('spdk info starts the embedded simulator when no socket is given and reports its version', async () => {
    const result = await run(['spdk', 'info', '--json']);
    expect(result.exitCode).toBe(0);
    const info = JSON.parse(result.stdout) as { version: string; simulator: { name: string } | null; methods: string[] };
    expect(info.version).toBe('SPDK v26.05');
    expect(info.simulator?.name).toBe('spdk-conductor-sim');
    expect(info.methods).toContain('bdev_get_bdevs');
  });

  it('exits 3 with the reason when spdk_tgt cannot be reached', async () => {
    const result = await run(['spdk', 'info', '--spdk-socket', '/nonexistent/spdk.sock']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/cannot connect to spdk_tgt at \/nonexistent\/spdk\.sock: ENOENT/);
  });

  it('exits 2 naming the key on bad configuration, before touching anything', async () => {
    const result = await run(['config', 'show'], { CONDUCTOR_SPDK_MAX_IN_FLIGHT: 'lots' });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/spdk\.maxInFlight: environment CONDUCTOR_SPDK_MAX_IN_FLIGHT: expected an integer/);
  });

  it('exits 2 on an unknown command or flag', async () => {
    expect((await run(['frobnicate'])).exitCode).toBe(2);
    expect((await run(['config', 'show', '--no-such-flag', 'x'])).exitCode).toBe(2);
  });

  it('serve runs on the embedded simulator and stops cleanly on SIGTERM', async () => {
    const child = execa(process.execPath, [CLI, 'serve'], { reject: false, env: { CONDUCTOR_LOG_LEVEL: 'info' }, extendEnv: false, timeout: 30_000 });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('"msg":"serving"')) resolve();
      });
      void child.then(() => reject(new Error(`serve exited early:\n${out}`)));
    });
    expect(out).toContain('"simulator":"spdk-conductor-sim"');
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(0);
  });
});
