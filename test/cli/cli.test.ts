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
  it('spdk info and spdk call ask the running service: version, methods, and raw calls guarded when they change state', async () => {
    const { env } = serveEnv();
    const { child } = await startServe(env);
    try {
      const cli = (args: string[]) => execa(process.execPath, [CLI, ...args], { reject: false, env, extendEnv: false, timeout: 30_000 });
      const info = await cli(['spdk', 'info', '--json']);
      expect(info.exitCode, info.stderr).toBe(0);
      const parsed = JSON.parse(info.stdout) as { version: string; simulator: { name: string } | null; methods: string[] };
      expect(parsed.version).toBe('SPDK v26.05');
      expect(parsed.simulator?.name).toBe('spdk-conductor-sim');
      expect(parsed.methods).toContain('bdev_get_bdevs');
      expect(parsed.methods).toEqual([...parsed.methods].sort());
      const text = await cli(['spdk', 'info']);
      expect(text.stdout).toMatch(/^spdk_tgt\s+SPDK v26\.05$/m);
      expect(text.stdout).toMatch(/^ {2}bdev_get_bdevs$/m);

      const version = await cli(['spdk', 'call', 'spdk_get_version']);
      expect(version.exitCode, version.stderr).toBe(0);
      expect(JSON.parse(version.stdout)).toMatchObject({ version: 'SPDK v26.05' });

      const create = ['spdk', 'call', 'bdev_malloc_create', '{"name": "raw1", "num_blocks": 2048, "block_size": 512}'];
      const refused = await cli(create);
      expect(refused.exitCode).toBe(7);
      expect(refused.stderr).toMatch(/bdev_malloc_create may change spdk_tgt's state .*--allow-mutating\) .*\[SPDK_CALL_MUTATING\]/);
      const none = await cli(['spdk', 'call', 'bdev_get_bdevs']);
      expect(none.exitCode, none.stderr).toBe(0);
      expect(JSON.parse(none.stdout)).toEqual([]);

      const made = await cli([...create, '--allow-mutating']);
      expect(made.exitCode, made.stderr).toBe(0);
      expect(JSON.parse(made.stdout)).toBe('raw1');
      const read = await cli(['spdk', 'call', 'bdev_get_bdevs', '{"name": "raw1"}']);
      expect(read.exitCode, read.stderr).toBe(0);
      expect((JSON.parse(read.stdout) as { name: string; num_blocks: number }[])[0]).toMatchObject({ name: 'raw1', num_blocks: 2048 });

      // spdk_tgt's own refusal comes back with its code and message.
      const missing = await cli(['spdk', 'call', 'bdev_get_bdevs', '{"name": "nope"}']);
      expect(missing.exitCode).not.toBe(0);
      expect(missing.stderr).toMatch(/No such device/);

      const badJson = await cli(['spdk', 'call', 'bdev_get_bdevs', '{name}']);
      expect(badJson.exitCode).toBe(2);
      expect(badJson.stderr).toMatch(/the params of bdev_get_bdevs are not JSON/);
    } finally {
      child.kill('SIGTERM');
      await child;
    }
  });

  it('spdk info exits 3 with the reason when the service cannot be reached, and starts nothing', async () => {
    const result = await run(['spdk', 'info'], { CONDUCTOR_API_SOCKET: '/nonexistent/api.sock' });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/cannot reach the spdk-conductor service at .*nonexistent\/api\.sock/);
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
