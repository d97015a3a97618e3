import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConductorError } from '../../src/errors.js';
import { connectFrontend, exportOnlyFrontend, releaseFrontend, type FrontendParams } from '../../src/host/frontend.js';
import { fakeHost, type FakeHost } from './fixtures/fake-host.js';
import { findSubsystem } from './fixtures/fake-sysfs.mjs';

const NQN = 'nqn.2024-11.io.spdk-conductor:volume:pvc-1';
const PARAMS: FrontendParams = { nqn: NQN, address: '10.0.0.5', port: 4420, ctrlLossTmoSec: 60, reconnectDelaySec: 2, keepAliveTmoSec: 5 };

let host: FakeHost;

beforeEach(async () => {
  host = await fakeHost();
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await host.cleanup();
});

describe('exportOnlyFrontend', () => {
  it('returns the target and a ready-to-paste connect line with the budget flags', () => {
    expect(exportOnlyFrontend({ ...PARAMS, hostNqn: 'nqn.2024-11.io.spdk-conductor:host:node-b' })).toEqual({
      kind: 'export-only',
      nqn: NQN,
      address: '10.0.0.5',
      port: 4420,
      recommendedCtrlLossTmoSec: 60,
      connectCommand:
        'nvme connect -t tcp -a 10.0.0.5 -s 4420 -n nqn.2024-11.io.spdk-conductor:volume:pvc-1 ' +
        '--hostnqn nqn.2024-11.io.spdk-conductor:host:node-b --ctrl-loss-tmo 60 --reconnect-delay 2 --keep-alive-tmo 5',
    });
  });

  it('gives the line the service itself runs for an nvme-host frontend', async () => {
    const line = exportOnlyFrontend(PARAMS).connectCommand;
    await connectFrontend(host.cli(), PARAMS);
    expect(['nvme', ...((await host.invocations())[0] ?? [])].join(' ')).toBe(line);
  });

  it('quotes for the shell what an NQN may hold but a shell would read', () => {
    const nqn = 'nqn.2024-11.io.example:vol;1&2';
    expect(exportOnlyFrontend({ ...PARAMS, nqn }).connectCommand).toContain(` -n 'nqn.2024-11.io.example:vol;1&2' `);
  });

  it('runs nothing on this node', () => {
    exportOnlyFrontend(PARAMS);
    expect(findSubsystem(host.sysfsRoot, NQN)).toBeUndefined();
  });

  it('refuses bad params with INVALID_ARGUMENT', () => {
    for (const bad of [{ port: 0 }, { address: 'node-b' }, { nqn: 'nqn.2024-11.io.x:a;rm -rf /' }, { ctrlLossTmoSec: 0 }]) {
      let caught: unknown;
      try {
        exportOnlyFrontend({ ...PARAMS, ...bad });
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(bad)).toBeInstanceOf(ConductorError);
      expect((caught as ConductorError).kind).toBe('invalid-argument');
    }
  });
});

describe('connectFrontend', () => {
  it('connects this node and returns the block device', async () => {
    expect(await connectFrontend(host.cli(), PARAMS)).toEqual({
      kind: 'nvme-host',
      device: path.join(host.devRoot, 'nvme0n1'),
      nqn: NQN,
      address: '10.0.0.5',
      port: 4420,
    });
  });

  it('passes connect failures through with their codes', async () => {
    vi.stubEnv('FAKE_NVME_FAIL', 'refused');
    await expect(connectFrontend(host.cli(), PARAMS)).rejects.toMatchObject({ code: 'NVME_TARGET_UNREACHABLE' });
  });
});

describe('releaseFrontend', () => {
  it('disconnects an nvme-host frontend, and a second release is a no-op', async () => {
    const cli = host.cli();
    const frontend = await connectFrontend(cli, PARAMS);
    await releaseFrontend(cli, frontend);
    await releaseFrontend(cli, frontend);
    expect(findSubsystem(host.sysfsRoot, NQN)).toBeUndefined();
    expect((await host.invocations()).map((a) => a[0])).toEqual(['connect', 'disconnect']);
  });

  it('runs nothing for an export-only frontend', async () => {
    await releaseFrontend(host.cli(), exportOnlyFrontend(PARAMS));
    expect(await host.invocations()).toEqual([]);
  });
});
