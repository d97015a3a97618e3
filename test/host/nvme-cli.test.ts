import fs from 'node:fs/promises';
import path from 'node:path';
import { ExecaError } from 'execa';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { commandError, type ConnectParams } from '../../src/host/nvme-cli.js';
import { parseListSubsys } from '../../src/host/nvme-list-subsys.js';
import { fakeHost, isAlive, waitUntil, type FakeHost } from './fixtures/fake-host.js';
import { addController, addNamespace, findSubsystem } from './fixtures/fake-sysfs.mjs';
import { V1_NESTED, V1_SPLIT, V2_TWO_HOSTS } from './fixtures/list-subsys-samples.js';
import { conductorRefusal as rejection } from '../helpers/refusal.js';

const NQN = 'nqn.2024-11.io.spdk-conductor:volume:pvc-1';
const OTHER_NQN = 'nqn.2024-11.io.spdk-conductor:volume:pvc-2';
const HOST_NQN = 'nqn.2024-11.io.spdk-conductor:host:node-a';
const PARAMS: ConnectParams = { nqn: NQN, address: '10.0.0.5', port: 4420, ctrlLossTmoSec: 60, reconnectDelaySec: 2, keepAliveTmoSec: 5 };

let host: FakeHost;

beforeEach(async () => {
  host = await fakeHost();
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await host.cleanup();
});

describe('preflight', () => {
  it('passes when nvme-cli runs and nvme_tcp is loaded', async () => {
    await host.cli().preflight();
    expect(await host.invocations()).toEqual([['version']]);
  });

  it.each([
    ['a path that does not exist', () => path.join(host.root, 'no-such-nvme')],
    ['a name that is not on PATH', () => 'nvme-cli-not-installed-here'],
  ])('fails FAILED_PRECONDITION naming the package when the binary is %s', async (_, binary) => {
    const err = await rejection(host.cli({ binary: binary() }).preflight());
    expect(err.code).toBe('HOST_NVME_UNAVAILABLE');
    expect(err.message).toMatch(/nvme-cli is not installed.*install the nvme-cli package/);
  });

  it('fails FAILED_PRECONDITION saying `modprobe nvme-tcp` when the module is not loaded', async () => {
    await host.cleanup();
    host = await fakeHost({ moduleLoaded: false });
    const err = await rejection(host.cli().preflight());
    expect(err.code).toBe('HOST_NVME_UNAVAILABLE');
    expect(err.message).toContain('modprobe nvme-tcp');
  });
});

describe('connect', () => {
  it('runs exactly the budget flags and returns the namespace device and controller', async () => {
    const result = await host.cli().connect({ ...PARAMS, hostNqn: HOST_NQN });
    expect(result).toEqual({ device: path.join(host.devRoot, 'nvme0n1'), controller: 'nvme0' });
    expect(await host.invocations()).toEqual([
      ['connect', '-t', 'tcp', '-a', '10.0.0.5', '-s', '4420', '-n', NQN, '--hostnqn', HOST_NQN, '--ctrl-loss-tmo', '60', '--reconnect-delay', '2', '--keep-alive-tmo', '5'],
    ]);
  });

  it('leaves --hostnqn out when none is given', async () => {
    await host.cli().connect(PARAMS);
    expect((await host.invocations())[0]).not.toContain('--hostnqn');
  });

  it('is idempotent: a second connect returns the same device without running nvme connect', async () => {
    const cli = host.cli();
    const first = await cli.connect(PARAMS);
    expect(await cli.connect(PARAMS)).toEqual(first);
    expect((await host.invocations()).filter((a) => a[0] === 'connect')).toHaveLength(1);
  });

  it('adopts a connection made by someone else, matching IPv6 addresses however written', async () => {
    addController(host.sysfsRoot, host.devRoot, { nqn: NQN, traddr: 'FD00:0::5', trsvcid: 4420 });
    const result = await host.cli().connect({ ...PARAMS, address: 'fd00::5' });
    expect(result).toEqual({ device: path.join(host.devRoot, 'nvme0n1'), controller: 'nvme0' });
    expect(await host.invocations()).toEqual([]);
  });

  it('connects again when the NQN is reachable only at another port or through a dying controller', async () => {
    addController(host.sysfsRoot, host.devRoot, { nqn: NQN, traddr: '10.0.0.5', trsvcid: 4421 });
    addController(host.sysfsRoot, host.devRoot, { nqn: NQN, traddr: '10.0.0.5', trsvcid: 4420, state: 'deleting' });
    const result = await host.cli().connect(PARAMS);
    expect(result).toEqual({ device: path.join(host.devRoot, 'nvme0n1'), controller: 'nvme2' });
    expect((await host.invocations()).map((a) => a[0])).toEqual(['connect']);
  });

  it.each(['v1', 'v2'])('treats nvme-cli %s "already connected" as success once sysfs shows the controller', async (style) => {
    vi.stubEnv('FAKE_NVME_STYLE', style);
    vi.stubEnv('FAKE_NVME_FAIL', 'already');
    const result = await host.cli().connect(PARAMS);
    expect(result).toEqual({ device: path.join(host.devRoot, 'nvme0n1'), controller: 'nvme0' });
  });

  it('waits for a namespace that appears after nvme connect returned', async () => {
    vi.stubEnv('FAKE_NVME_NO_NAMESPACE', '1');
    let settled = false;
    const connecting = host
      .cli()
      .connect(PARAMS)
      .finally(() => {
        settled = true;
      });
    await waitUntil('the controller in sysfs', () => findSubsystem(host.sysfsRoot, NQN) !== undefined);
    await waitUntil('nvme connect to have exited', async () => (await host.invocations()).length === 1);
    expect(settled).toBe(false);
    addNamespace(host.sysfsRoot, host.devRoot, NQN);
    await expect(connecting).resolves.toEqual({ device: path.join(host.devRoot, 'nvme0n1'), controller: 'nvme0' });
  });

  it('gives up with DEADLINE_EXCEEDED saying what is missing when the device never appears', async () => {
    vi.stubEnv('FAKE_NVME_NO_NAMESPACE', '1');
    const started = Date.now();
    const err = await rejection(host.cli({ deviceTimeoutMs: 300 }).connect(PARAMS));
    expect(err.code).toBe('NVME_CLI_TIMEOUT');
    expect(err.message).toMatch(/gave up after 300 ms, controller nvme0 has no namespace yet/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('kills a hung nvme-cli at the command timeout and reports DEADLINE_EXCEEDED', async () => {
    vi.stubEnv('FAKE_NVME_FAIL', 'hang');
    const err = await rejection(host.cli({ commandTimeoutMs: 400 }).connect(PARAMS));
    expect(err.code).toBe('NVME_CLI_TIMEOUT');
    expect(err.message).toContain('nvme connect to 10.0.0.5:4420 did not finish within its timeout');
    // Read from execa's own record rather than the clock: the configured timeout fired, and the
    // first signal sent was SIGKILL and ended the tool. A SIGTERM would show here as the signal
    // (fake still starting) or as a forced kill after execa's grace period (fake already ignoring it).
    expect(err.cause).toBeInstanceOf(ExecaError);
    expect(err.cause).toMatchObject({ timedOut: true, signal: 'SIGKILL', isForcefullyTerminated: false, shortMessage: expect.stringMatching(/timed out after 400 milliseconds/) });
    // The fake writes its pid once node has started it; on a busy machine the 400 ms can run out
    // before that, and then there is no pid to look for (it was killed before it could hang).
    const pidText = await fs.readFile(host.pidFile, 'utf8').catch(() => '');
    if (/^[1-9]\d*$/.test(pidText)) {
      const pid = Number(pidText);
      await waitUntil(`hung fake nvme (pid ${pid}) to be gone`, () => !isAlive(pid), 5_000);
    }
  });

  it.each([
    ['v1', 'refused', 'NVME_TARGET_UNREACHABLE', /to 10\.0\.0\.5:4420 failed, the target is unreachable or refused: Failed to write to \/dev\/nvme-fabrics: Connection refused/],
    ['v2', 'refused', 'NVME_TARGET_UNREACHABLE', /to 10\.0\.0\.5:4420 failed, .*could not add new controller: connection refused/],
    ['v1', 'no-route', 'NVME_TARGET_UNREACHABLE', /10\.0\.0\.5:4420.*No route to host/],
    ['v2', 'fabrics-io', 'NVME_TARGET_UNREACHABLE', /10\.0\.0\.5:4420.*failed to write to nvme-fabrics device/],
    ['v1', 'fabrics-io', 'NVME_TARGET_UNREACHABLE', /Input\/output error/],
    ['v1', 'einval', 'INVALID_ARGUMENT', /refused as invalid: Failed to write to \/dev\/nvme-fabrics: Invalid argument/],
    ['v2', 'einval', 'INVALID_ARGUMENT', /invalid arguments\/configuration/],
    ['v1', 'no-fabrics-dev', 'HOST_NVME_UNAVAILABLE', /modprobe nvme-tcp/],
    ['v2', 'no-fabrics-dev', 'HOST_NVME_UNAVAILABLE', /modprobe nvme-tcp/],
    ['v2', 'internal', 'NVME_CLI_FAILED', /failed: NVMe status: Internal Error/],
  ])('maps nvme-cli %s failure %s to %s with stderr in the message', async (style, fail, code, message) => {
    vi.stubEnv('FAKE_NVME_STYLE', style);
    vi.stubEnv('FAKE_NVME_FAIL', fail);
    const err = await rejection(host.cli().connect(PARAMS));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.details).toMatchObject({ nqn: NQN, target: '10.0.0.5:4420' });
    expect(String(err.details.stderr)).not.toMatch(/\n$/);
  });

  it('falls back to the errno in a 1.x exit code when stderr is empty', async () => {
    vi.stubEnv('FAKE_NVME_STYLE', 'v1');
    vi.stubEnv('FAKE_NVME_FAIL', 'refused');
    vi.stubEnv('FAKE_NVME_QUIET', '1');
    const err = await rejection(host.cli().connect(PARAMS));
    expect(err.code).toBe('NVME_TARGET_UNREACHABLE');
    expect(err.message).toBe('nvme connect to 10.0.0.5:4420 failed: exit code 145');
  });

  it('writes IPv6 targets with brackets in errors', async () => {
    vi.stubEnv('FAKE_NVME_FAIL', 'refused');
    const err = await rejection(host.cli().connect({ ...PARAMS, address: 'fd00::5' }));
    expect(err.message).toContain('[fd00::5]:4420');
  });

  it.each<[string, Partial<ConnectParams>, string]>([
    ['an empty NQN', { nqn: '' }, 'nqn'],
    ['an NQN without the nqn. prefix', { nqn: 'iqn.2024-11.io.x:y' }, 'nqn'],
    ['an NQN with a comma', { nqn: `${NQN},hostnqn=evil` }, 'nqn'],
    ['an NQN with a space', { nqn: `${NQN} x` }, 'nqn'],
    ['an NQN over 223 bytes', { nqn: `nqn.2024-11.io.x:${'a'.repeat(220)}` }, 'nqn'],
    ['a bad host NQN', { hostNqn: 'node-a' }, 'hostNqn'],
    ['a hostname', { address: 'node-b.example' }, 'address'],
    ['an option as address', { address: '--help' }, 'address'],
    ['port 0', { port: 0 }, 'port'],
    ['port 65536', { port: 65536 }, 'port'],
    ['a fractional port', { port: 4420.5 }, 'port'],
    ['ctrl-loss-tmo 0', { ctrlLossTmoSec: 0 }, 'ctrlLossTmoSec'],
    ['ctrl-loss-tmo -1 (forever)', { ctrlLossTmoSec: -1 }, 'ctrlLossTmoSec'],
    ['reconnect-delay NaN', { reconnectDelaySec: Number.NaN }, 'reconnectDelaySec'],
    ['keep-alive-tmo 1.5', { keepAliveTmoSec: 1.5 }, 'keepAliveTmoSec'],
    ['a reconnect delay over ctrl-loss-tmo', { ctrlLossTmoSec: 5, reconnectDelaySec: 10 }, 'reconnectDelaySec'],
  ])('refuses %s with INVALID_ARGUMENT before running anything', async (_, change, field) => {
    const err = await rejection(host.cli().connect({ ...PARAMS, ...change }));
    expect(err.kind).toBe('invalid-argument');
    expect(err.details.field).toBe(field);
    expect(await host.invocations()).toEqual([]);
  });

  it('refuses with FAILED_PRECONDITION before running anything when nvme_tcp is not loaded', async () => {
    await host.cleanup();
    host = await fakeHost({ moduleLoaded: false });
    const err = await rejection(host.cli().connect(PARAMS));
    expect(err.code).toBe('HOST_NVME_UNAVAILABLE');
    expect(err.message).toContain('modprobe nvme-tcp');
    expect(await host.invocations()).toEqual([]);
  });
});

describe('disconnect', () => {
  it('disconnects by NQN and waits until sysfs no longer shows it', async () => {
    const cli = host.cli();
    await cli.connect(PARAMS);
    await cli.disconnect(NQN);
    expect((await host.invocations()).at(-1)).toEqual(['disconnect', '-n', NQN]);
    expect(findSubsystem(host.sysfsRoot, NQN)).toBeUndefined();
    expect(await cli.deviceOf(NQN)).toBeUndefined();
  });

  it('succeeds without running nvme-cli when the NQN is not connected', async () => {
    const cli = host.cli();
    await cli.disconnect(NQN);
    await cli.connect(PARAMS);
    await cli.disconnect(NQN);
    await cli.disconnect(NQN);
    expect((await host.invocations()).map((a) => a[0])).toEqual(['connect', 'disconnect']);
  });

  it('reports a failure that left the controller in place', async () => {
    const cli = host.cli();
    await cli.connect(PARAMS);
    vi.stubEnv('FAKE_NVME_FAIL', 'internal');
    const err = await rejection(cli.disconnect(NQN));
    expect(err.code).toBe('NVME_CLI_FAILED');
    expect(err.message).toMatch(/^nvme disconnect failed: NVMe status: Internal Error/);
    expect(await cli.deviceOf(NQN)).toBe(path.join(host.devRoot, 'nvme0n1'));
  });

  it('validates the NQN', async () => {
    const err = await rejection(host.cli().disconnect('nqn.2024-11.io.x:a,b'));
    expect(err.code).toBe('INVALID_NQN');
  });
});

describe('deviceOf', () => {
  it('is the lowest namespace whose device node exists, and undefined for unknown NQNs', async () => {
    const cli = host.cli();
    addController(host.sysfsRoot, host.devRoot, { nqn: NQN, traddr: '10.0.0.5', trsvcid: 4420, withNamespace: false });
    addNamespace(host.sysfsRoot, host.devRoot, NQN, 2);
    addNamespace(host.sysfsRoot, host.devRoot, NQN, 1);
    expect(await cli.deviceOf(NQN)).toBe(path.join(host.devRoot, 'nvme0n1'));
    await fs.rm(path.join(host.devRoot, 'nvme0n1'));
    expect(await cli.deviceOf(NQN)).toBe(path.join(host.devRoot, 'nvme0n2'));
    expect(await cli.deviceOf(OTHER_NQN)).toBeUndefined();
  });
});

describe('listSubsystems', () => {
  it.each(['v1', 'v2'])('reads nvme-cli %s JSON and takes namespaces from sysfs', async (style) => {
    vi.stubEnv('FAKE_NVME_STYLE', style);
    addController(host.sysfsRoot, host.devRoot, { nqn: NQN, traddr: '10.0.0.5', trsvcid: 4420 });
    addController(host.sysfsRoot, host.devRoot, { nqn: OTHER_NQN, traddr: '10.0.0.6', trsvcid: 4420, state: 'connecting' });
    addController(host.sysfsRoot, host.devRoot, { nqn: NQN, traddr: '10.0.0.7', trsvcid: 4420 });
    expect(await host.cli().listSubsystems()).toEqual([
      {
        nqn: NQN,
        controllers: [
          { name: 'nvme0', transport: 'tcp', address: 'traddr=10.0.0.5,trsvcid=4420,src_addr=10.0.0.9', state: 'live' },
          { name: 'nvme2', transport: 'tcp', address: 'traddr=10.0.0.7,trsvcid=4420,src_addr=10.0.0.9', state: 'live' },
        ],
        namespaces: ['nvme0n1'],
      },
      {
        nqn: OTHER_NQN,
        controllers: [{ name: 'nvme1', transport: 'tcp', address: 'traddr=10.0.0.6,trsvcid=4420,src_addr=10.0.0.9', state: 'connecting' }],
        namespaces: ['nvme1n1'],
      },
    ]);
  });

  it('is empty when nothing is connected', async () => {
    expect(await host.cli().listSubsystems()).toEqual([]);
    vi.stubEnv('FAKE_NVME_STYLE', 'v1');
    expect(await host.cli().listSubsystems()).toEqual([]);
  });

  it('fails INTERNAL when nvme-cli prints something other than JSON', async () => {
    vi.stubEnv('FAKE_NVME_FAIL', 'bad-json');
    const err = await rejection(host.cli().listSubsystems());
    expect(err.code).toBe('NVME_CLI_FAILED');
    expect(err.message).toMatch(/not JSON.*nvme-subsys0 - NQN=/s);
  });
});

describe('parseListSubsys', () => {
  it('reads 2.x output, merging a subsystem listed under two host NQNs', () => {
    expect(parseListSubsys(V2_TWO_HOSTS)).toEqual([
      {
        name: 'nvme-subsys0',
        nqn: 'nqn.2019-10.com.kioxia:KCD6XLUL960G:71P0A0QBTJ8M',
        controllers: [{ name: 'nvme0', transport: 'pcie', address: '0000:41:00.0', state: 'live' }],
      },
      {
        name: 'nvme-subsys2',
        nqn: NQN,
        controllers: [
          { name: 'nvme2', transport: 'tcp', address: 'traddr=10.20.0.11,trsvcid=20001,src_addr=10.20.0.15', state: 'live' },
          { name: 'nvme3', transport: 'tcp', address: 'traddr=10.20.0.12,trsvcid=20001,src_addr=10.20.0.15', state: 'connecting' },
          { name: 'nvme4', transport: 'tcp', address: 'traddr=10.20.0.13,trsvcid=20001', state: 'live' },
        ],
      },
    ]);
  });

  it('reads 1.x output with Paths as separate elements', () => {
    expect(parseListSubsys(V1_SPLIT)).toEqual([
      {
        name: 'nvme-subsys0',
        nqn: 'nqn.2014.08.org.nvmexpress:80868086PHKS7481003R800CGN  INTEL SSDPE2KX080T8',
        controllers: [{ name: 'nvme0', transport: 'pcie', address: '0000:5e:00.0', state: 'live' }],
      },
      {
        name: 'nvme-subsys1',
        nqn: OTHER_NQN,
        controllers: [{ name: 'nvme1', transport: 'tcp', address: 'traddr=10.20.0.11 trsvcid=20002', state: 'live' }],
      },
    ]);
  });

  it('reads 1.x output with Paths inside the subsystem', () => {
    expect(parseListSubsys(V1_NESTED)).toEqual([
      { name: 'nvme-subsys1', nqn: OTHER_NQN, controllers: [{ name: 'nvme1', transport: 'tcp', address: 'traddr=10.20.0.11,trsvcid=20002', state: 'resetting' }] },
    ]);
  });

  it.each(['', '  \n', '{}', '[]', '[{"HostNQN":"nqn.2014-08.org.nvmexpress:uuid:x","Subsystems":[]}]'])('reads %j as nothing connected', (out) => {
    expect(parseListSubsys(out)).toEqual([]);
  });

  it.each(['"nvme-subsys0"', '{"Subsystems": 3}', '{"Subsystems": [', '42'])('fails INTERNAL on %j', (out) => {
    expect(() => parseListSubsys(out)).toThrow(expect.objectContaining({ code: 'NVME_CLI_FAILED' }) as Error);
  });
});

describe('construction and error mapping', () => {
  it('refuses a non-positive command timeout', () => {
    expect(() => host.cli({ commandTimeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as Error);
  });

  it('maps a failure that is not from the subprocess to INTERNAL', () => {
    const err = commandError(new Error('boom'), 'nvme', { what: 'nvme list-subsys' });
    expect(err.code).toBe('NVME_CLI_FAILED');
    expect(err.message).toBe('nvme list-subsys failed: Error: boom');
  });
});
