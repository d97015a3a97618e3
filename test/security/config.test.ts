/**
 * Issue 11, item 11: every configuration value is checked at start, before anything is touched.
 * The built program is run as an operator would; each refusal must exit 2 and name the key, where
 * the value came from and the form expected, and leave no API socket behind.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { checkStateFileWritable } from '../../src/config/state-dir.js';
import { tempDir } from '../helpers/temp-dir.js';

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');

interface Case {
  name: string;
  args: string[];
  env?: Record<string, string>;
  /** A config file's JSON, passed with --config. */
  file?: unknown;
  stderr: RegExp;
}

/** serve in a fresh directory (its API socket there, no TCP unless the case sets it); resolves with its exit and output. */
async function serve(c: Pick<Case, 'args' | 'env' | 'file'>, command = ['serve']) {
  const dir = tempDir('sec-config-');
  const socket = path.join(dir, 'api.sock');
  const args = [...command, ...c.args];
  if (c.file !== undefined) {
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(c.file));
    args.push('--config', file);
  }
  const env = { CONDUCTOR_API_SOCKET: socket, CONDUCTOR_API_TCP: 'off', CONDUCTOR_LOG_LEVEL: 'warn', ...c.env };
  const result = await execa(process.execPath, [CLI, ...args], { reject: false, env, extendEnv: false, timeout: 30_000 });
  return { ...result, socket, dir };
}

const REFUSED: Case[] = [
  {
    name: 'an export address that is not an IP address',
    args: ['--export-address', 'not an ip'],
    stderr: /config export\.address: flag --export-address: "not an ip" is not an IPv4 address; expected the IPv4 address/,
  },
  {
    name: 'an IPv6 export address (exports listen with adrfam ipv4)',
    args: [],
    env: { CONDUCTOR_EXPORT_ADDRESS: 'fd00::1' },
    stderr: /config export\.address: environment CONDUCTOR_EXPORT_ADDRESS: "fd00::1" is IPv6; exports listen on IPv4 only/,
  },
  {
    name: 'an export address nobody can connect to',
    args: ['--export-address', '0.0.0.0'],
    stderr: /config export\.address: flag --export-address: "0\.0\.0\.0" is not an address other nodes can connect to/,
  },
  {
    name: 'an engine host NQN that is not an NQN',
    args: ['--engine-host-nqn', 'garbage'],
    stderr: /config engine\.hostNqn: flag --engine-host-nqn: "garbage" is not an NQN; use the form nqn\.YYYY-MM/,
  },
  {
    name: 'an empty environment variable (not read as unset)',
    args: [],
    env: { CONDUCTOR_API_TCP: '' },
    stderr: /config api\.tcp: environment CONDUCTOR_API_TCP is set but empty; give a value, or unset it for the default/,
  },
  {
    name: 'an API address that is no IP address (exit 2, not a failure to listen)',
    args: ['--api-tcp', '999.1.1.1:80'],
    stderr: /config api\.tcp: flag --api-tcp: "999\.1\.1\.1" is not an IP address or host name; expected host:port/,
  },
  {
    name: 'an API address without a port',
    args: [],
    file: { api: { tcp: '127.0.0.1' } },
    stderr: /config api\.tcp: file .*config\.json: "127\.0\.0\.1" is not host:port/,
  },
  {
    name: 'an API socket path longer than a Unix socket address holds',
    args: ['--api-socket', `/tmp/${'s'.repeat(120)}.sock`],
    stderr: /config api\.socket: flag --api-socket: .* is 130 bytes long; a Unix socket path is at most 107/,
  },
  {
    name: 'an export port range whose min is above its max, naming both sources',
    args: ['--export-port-max', '20000'],
    env: { CONDUCTOR_EXPORT_PORT_MIN: '30000' },
    stderr: /config export\.portMin: 30000 \(environment CONDUCTOR_EXPORT_PORT_MIN\) is above export\.portMax 20000 \(flag --export-port-max\); expected export\.portMin <= export\.portMax/,
  },
  {
    name: 'a port out of range',
    args: ['--export-port-min', '0'],
    stderr: /config export\.portMin: flag --export-port-min: expected an integer from 1 to 65535, got "0"/,
  },
  {
    name: 'an unknown key in the config file',
    args: [],
    file: { export: { adress: '10.0.0.1' } },
    stderr: /config export\.adress: unknown key in .*config\.json; known keys: /,
  },
  {
    name: 'a string where the file needs a number',
    args: [],
    file: { spdk: { deadlineMs: '5000' } },
    stderr: /config spdk\.deadlineMs: file .*config\.json: expected a JSON number \(an integer from 1 to 3600000\), got "5000"/,
  },
  {
    name: 'a string where the file needs a boolean',
    args: [],
    file: { 'timeouts.unsafeSkipCheck': 'yes' },
    stderr: /config timeouts\.unsafeSkipCheck: file .*config\.json: expected a JSON boolean, true or false, got "yes"/,
  },
  {
    name: 'a number where the file needs a string',
    args: [],
    file: { export: { address: 10 } },
    stderr: /config export\.address: file .*config\.json: expected a non-empty string, got 10/,
  },
  {
    name: 'a value where the file needs a group of keys',
    args: [],
    file: { rebuild: 2 },
    stderr: /config rebuild: file .*config\.json: expected an object of rebuild\.\* keys, got 2/,
  },
  {
    name: 'a fraction where an integer is needed',
    args: [],
    file: { rebuild: { maxConcurrent: 1.5 } },
    stderr: /config rebuild\.maxConcurrent: file .*config\.json: expected an integer from 1 to 64, got 1\.5/,
  },
  {
    name: 'a control character in a path',
    args: [],
    env: { CONDUCTOR_SPDK_SOCKET: '/run/spdk.sock\nforged' },
    stderr: /config spdk\.socket: environment CONDUCTOR_SPDK_SOCKET: expected a string without control characters/,
  },
  {
    name: 'a negative number after a space, checked as a value (not an ambiguous option)',
    args: ['--spdk-deadline-ms', '-5'],
    stderr: /config spdk\.deadlineMs: flag --spdk-deadline-ms: expected an integer from 1 to 3600000, got "-5"/,
  },
];

describe('configuration refused at start (issue 11, item 11)', () => {
  it.each(REFUSED)('serve refuses $name: exit 2, key, source and form, nothing listening', async (c) => {
    const result = await serve(c);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(c.stderr);
    expect(result.stderr).toMatch(/\[INVALID_CONFIG\]$/m);
    expect(result.stdout).not.toContain('API listening');
    expect(existsSync(result.socket)).toBe(false);
  });

  it('serve refuses a state file in a place it cannot write, before starting anything', async () => {
    const dir = tempDir('sec-state-');
    const notADirectory = path.join(dir, 'plain-file');
    writeFileSync(notADirectory, 'x');
    for (const [args, env, source] of [
      [['--state-file', path.join(notADirectory, 'state.json')], {}, 'flag --state-file'],
      [[], { CONDUCTOR_STATE_FILE: '/proc/self/no-such-dir/state.json' }, 'environment CONDUCTOR_STATE_FILE'],
    ] as const) {
      const result = await serve({ args: [...args], env });
      expect(result.exitCode, result.stderr).toBe(2);
      expect(result.stderr).toMatch(
        new RegExp(
          `config state\\.file: ${source}: ".*state\\.json": cannot create a file in .* \\((ENOTDIR|ENOENT|EACCES)\\); expected a file path in a directory this service can write \\[INVALID_CONFIG\\]`,
        ),
      );
      expect(existsSync(result.socket)).toBe(false);
    }
    expect(existsSync(path.join(notADirectory, 'state.json'))).toBe(false);
  });

  it('serve refuses a state file path that is a directory', async () => {
    const dir = tempDir('sec-state-');
    const result = await serve({ args: ['--state-file', dir] });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/config state\.file: flag --state-file: ".*": exists and is not a regular file/);
  });

  it('the writability check leaves nothing behind in a writable state directory', () => {
    const dir = tempDir('sec-state-');
    checkStateFileWritable(path.join(dir, 'sub', 'state.json'), 'flag --state-file');
    expect(readdirSync(path.join(dir, 'sub'))).toEqual([]);
  });

  it('a negative number after a space is the value of an option that takes one', async () => {
    const ok = await serve({ args: ['--timeouts-replica-ctrlr-loss-timeout-sec', '-1', '--json'] }, ['config', 'show']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as Record<string, unknown>)['timeouts.replica.ctrlrLossTimeoutSec']).toBe(-1);

    const size = await serve({ args: ['r1', '--disk', 'd1', '--size', '-1GiB'] }, ['replica', 'create']);
    expect(size.exitCode).toBe(2);
    expect(size.stderr).toMatch(/--size "-1GiB" is not a size/);
    expect(size.stderr).not.toMatch(/ambiguous/);

    // An option that takes no value stays an option: "-1" is then a stray positional.
    const json = await serve({ args: ['--json', '-1'] }, ['config', 'show']);
    expect(json.exitCode).toBe(2);
  });
});
