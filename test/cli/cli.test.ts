/**
 * The CLI as a user runs it: the built program, real processes, the embedded simulator. serve
 * always gets a temporary API socket and no TCP listener, so tests never touch /var/run or a
 * fixed port.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { alive } from '../helpers/process.js';

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');

function run(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [CLI, ...args], { reject: false, env: { ...env, CONDUCTOR_LOG_LEVEL: 'warn' }, extendEnv: false, timeout: 30_000 });
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** serve's environment: a socket in a fresh temp dir (short: Unix socket paths are limited), no TCP. */
function serveEnv(extra: Record<string, string> = {}): { env: Record<string, string>; socket: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-'));
  dirs.push(dir);
  const socket = path.join(dir, 'api.sock');
  return { socket, env: { CONDUCTOR_API_SOCKET: socket, CONDUCTOR_API_TCP: 'off', CONDUCTOR_LOG_LEVEL: 'info', ...extra } };
}

/** serve as a child; resolves once it logs "serving", fails at once with its output if it exits first. */
async function startServe(env: Record<string, string>) {
  const child = execa(process.execPath, [CLI, 'serve'], { reject: false, env, extendEnv: false, timeout: 30_000 });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('"msg":"serving"')) resolve();
    });
    void child.then((r) => reject(new Error(`serve exited early (${r.exitCode}):\n${out}\n${r.stderr}`)));
  });
  return { child, output: () => out };
}

/** A budget whose controller outlives the host's ctrl-loss-tmo: rule ours.controller-gone-before-host-ctrl-loss. */
const BROKEN_BUDGET = { CONDUCTOR_TIMEOUTS_REPLICA_CTRLR_LOSS_TIMEOUT_SEC: '30', CONDUCTOR_TIMEOUTS_HOST_CTRL_LOSS_TMO_SEC: '30' };

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

  it('serve runs on the embedded simulator, on its own socket, and stops cleanly on SIGTERM', async () => {
    const { env, socket } = serveEnv();
    const { child, output } = await startServe(env);
    expect(output()).toContain('"simulator":"spdk-conductor-sim"');
    expect(existsSync(socket)).toBe(true);
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });

  it('serve killed with SIGKILL takes its embedded simulator and its directory with it', async () => {
    const { env } = serveEnv();
    const { child, output } = await startServe(env);
    const started = output()
      .split('\n')
      .filter((l) => l.includes('embedded simulator started'))
      .map((l) => JSON.parse(l) as { pid: number; socket: string })[0];
    expect(started, output()).toBeDefined();
    const { pid, socket } = started!;
    expect(alive(pid)).toBe(true);
    child.kill('SIGKILL');
    await child;
    // The simulator's stdin was a pipe from serve: its end closes with serve, however serve died.
    const deadline = Date.now() + 15_000;
    while ((alive(pid) || existsSync(path.dirname(socket))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid), `simulator ${pid} outlived serve`).toBe(false);
    expect(existsSync(path.dirname(socket)), `${path.dirname(socket)} outlived serve`).toBe(false);
  });

  it('serve refuses a broken timeout budget at start: exit 2 naming the rule, nothing left listening', async () => {
    const { env, socket } = serveEnv(BROKEN_BUDGET);
    const result = await execa(process.execPath, [CLI, 'serve'], { reject: false, env, extendEnv: false, timeout: 30_000 });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^spdk-conductor: config timeouts: timeout budget refused: \[ours\.controller-gone-before-host-ctrl-loss\] .*ctrl-loss-tmo 30 s \[INVALID_CONFIG\]$/m);
    expect(result.stdout).not.toContain('API listening');
    expect(existsSync(socket)).toBe(false);
  });

  it('serve starts with a broken budget when timeouts.unsafeSkipCheck is set, warning loudly', async () => {
    const { env } = serveEnv({ ...BROKEN_BUDGET, CONDUCTOR_TIMEOUTS_UNSAFE_SKIP_CHECK: 'true' });
    const { child, output } = await startServe(env);
    expect(output()).toMatch(/"level":40,.*"msg":"UNSAFE: timeouts.unsafeSkipCheck is set and the timeout budget is broken/);
    child.kill('SIGTERM');
    expect((await child).exitCode).toBe(0);
  });
});

describe('spdk-conductor timeouts check', () => {
  it('exits 0 with the default budget and prints the verdict', async () => {
    const result = await run(['timeouts', 'check']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('timeout budget: sound');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('verdict: pass');
  });

  it('exits 2 naming the broken rule, in text and in --json', async () => {
    const text = await run(['timeouts', 'check'], BROKEN_BUDGET);
    expect(text.exitCode).toBe(2);
    expect(text.stdout).toMatch(/^ {2}\[ours\.controller-gone-before-host-ctrl-loss\] /m);
    expect(text.stdout.trimEnd().split('\n').at(-1)).toBe('verdict: fail');
    const asJson = await run(['timeouts', 'check', '--json'], BROKEN_BUDGET);
    expect(asJson.exitCode).toBe(2);
    const report = JSON.parse(asJson.stdout) as { ok: boolean; violations: { rule: string }[] };
    expect(report.ok).toBe(false);
    expect(report.violations.map((v) => v.rule)).toEqual(['ours.controller-gone-before-host-ctrl-loss']);
  });

  it('exits 2 on a configuration value it cannot read, before checking anything', async () => {
    const result = await run(['timeouts', 'check'], { CONDUCTOR_TIMEOUTS_HOST_CTRL_LOSS_TMO_SEC: 'soon' });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/timeouts\.host\.ctrlLossTmoSec: environment CONDUCTOR_TIMEOUTS_HOST_CTRL_LOSS_TMO_SEC: expected an integer/);
    expect(result.stdout).toBe('');
  });
});
