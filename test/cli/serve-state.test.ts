/**
 * serve and its state directory, as a user runs it (the built CLI, real processes, the embedded
 * simulator): a second serve on the same state file is refused with exit 2 naming the first one's
 * pid; a lock left by a serve killed with SIGKILL is taken over; a wrongly shaped state file stops
 * serve with exit 2, naming the file and the bad key, and is left byte for byte as it was.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');

const running: ResultPromise[] = [];
afterEach(async () => {
  for (const child of running.splice(0)) {
    child.kill('SIGKILL');
    await child;
  }
});

function serveEnv(dir: string, name: string): Record<string, string> {
  return { CONDUCTOR_API_SOCKET: path.join(dir, `${name}.sock`), CONDUCTOR_API_TCP: 'off', CONDUCTOR_LOG_LEVEL: 'info', CONDUCTOR_STATE_FILE: path.join(dir, 'state', 'state.json') };
}

function serve(env: Record<string, string>) {
  return execa(process.execPath, [CLI, 'serve'], { reject: false, env, extendEnv: false, timeout: 30_000 });
}

/** serve as a child, once it logs "serving"; fails at once with its output if it exits first. */
async function startServe(env: Record<string, string>) {
  const child = serve(env);
  running.push(child);
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

describe('serve and its state directory', () => {
  it('refuses a second serve on the same state directory (exit 2, naming the holder), takes over the lock of one killed with SIGKILL, and releases it on SIGTERM', async () => {
    const dir = tempDir('serve-state-');
    const lockFile = path.join(dir, 'state', 'spdk-conductor.lock');
    const first = await startServe(serveEnv(dir, 'a'));
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: first.child.pid });

    const second = await serve(serveEnv(dir, 'b'));
    expect(second.exitCode).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`is in use by another spdk-conductor \\(pid ${first.child.pid} on .*\\[STATE_DIR_LOCKED\\]$`, 'm'));
    expect(second.stdout).not.toContain('"msg":"serving"');
    expect(existsSync(path.join(dir, 'b.sock'))).toBe(false);

    first.child.kill('SIGKILL');
    await first.child;
    const third = await startServe(serveEnv(dir, 'c'));
    expect(third.output()).toContain('"msg":"took over a stale state directory lock"');
    expect(third.output()).toContain(`its holder (pid ${first.child.pid}) is gone`);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toMatchObject({ pid: third.child.pid });

    third.child.kill('SIGTERM');
    expect((await third.child).exitCode).toBe(0);
    expect(existsSync(lockFile)).toBe(false);
  });

  it('refuses a wrongly shaped state file at start (exit 2, the file and the bad key named) and leaves it untouched', async () => {
    const dir = tempDir('serve-state-');
    const env = serveEnv(dir, 'a');
    const file = env['CONDUCTOR_STATE_FILE']!;
    const seeded = await startServe(env);
    seeded.child.kill('SIGTERM');
    await seeded.child;
    const data = JSON.parse(readFileSync(file, 'utf8')) as { engines: Record<string, unknown> };
    data.engines['vol-1'] = { name: 'vol-1', sizeBytes: 'big', replicas: [], frontend: 'export-only', hostNqns: [], port: 0 };
    writeFileSync(file, JSON.stringify(data, null, 1));
    const before = readFileSync(file);

    const result = await serve(env);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`the state file ${file} is not valid: $.engines["vol-1"].sizeBytes must be integer`);
    expect(result.stderr).toMatch(/\[STATE_FILE_UNREADABLE\]$/m);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(existsSync(path.join(dir, 'state', 'spdk-conductor.lock'))).toBe(false);
  });
});
