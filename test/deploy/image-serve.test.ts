/**
 * serve as the image runs it (CONDUCTOR_SIMULATOR=false, set by the Dockerfile): without
 * --spdk-socket it refuses to start (exit 2, a message naming both ways out) and opens nothing;
 * --simulator starts it on the embedded simulator; --simulator with --spdk-socket is a
 * contradiction refused the same way. The built CLI, real processes.
 */
import { existsSync } from 'node:fs';
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

/** The image's environment: the implicit simulator off, everything else in a temp directory. */
function imageEnv(dir: string): Record<string, string> {
  return {
    CONDUCTOR_SIMULATOR: 'false',
    CONDUCTOR_API_SOCKET: path.join(dir, 'api.sock'),
    CONDUCTOR_API_TCP: 'off',
    CONDUCTOR_STATE_FILE: path.join(dir, 'state', 'state.json'),
  };
}

function serve(args: string[], env: Record<string, string>) {
  return execa(process.execPath, [CLI, 'serve', ...args], { reject: false, env, extendEnv: false, timeout: 60_000 });
}

describe('serve in the image (CONDUCTOR_SIMULATOR=false)', () => {
  it('refuses to start without --spdk-socket: exit 2, saying to give --spdk-socket or --simulator, nothing opened', async () => {
    const dir = tempDir('image-serve-');
    const result = await serve([], imageEnv(dir));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('config spdk.socket: unset, and environment CONDUCTOR_SIMULATOR turns off the implicit simulator');
    expect(result.stderr).toContain('--spdk-socket PATH');
    expect(result.stderr).toContain('--simulator');
    expect(result.stderr).toMatch(/\[INVALID_CONFIG\]$/m);
    expect(result.stdout).not.toContain('"msg":"serving"');
    expect(existsSync(path.join(dir, 'api.sock'))).toBe(false);
    expect(existsSync(path.join(dir, 'state'))).toBe(false);
  });

  it('refuses --simulator together with --spdk-socket (exit 2, both named)', async () => {
    const dir = tempDir('image-serve-');
    const result = await serve(['--simulator', '--spdk-socket', path.join(dir, 'spdk.sock')], imageEnv(dir));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('config simulator: flag --simulator asks for the simulator and spdk.socket is set (flag --spdk-socket)');
  });

  it('serves on the embedded simulator with --simulator, and stops on SIGTERM', async () => {
    const dir = tempDir('image-serve-');
    const child = serve(['--simulator'], imageEnv(dir));
    running.push(child);
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('"msg":"serving"')) resolve();
      });
      void child.then((r) => reject(new Error(`serve exited early (${r.exitCode}):\n${out}\n${r.stderr}`)));
    });
    expect(out).toMatch(/"simulator":"spdk-conductor-sim".*"msg":"serving"/);
    child.kill('SIGTERM');
    expect((await child).exitCode).toBe(0);
  });
});
