/**
 * spdk_tgt's max_subsystems is read from spdk_tgt (framework_get_config nvmf, as
 * spdk_nvmf_tgt_write_config_json writes it), or set by spdk.maxSubsystems for a target that
 * cannot tell; admission counts against the limit in use, and says where it came from.
 */
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { NodeResources } from '../../../src/domain/health/resources.js';
import { maxSubsystemsIn } from '../../../src/domain/health/max-subsystems.js';
import type { CallOptions } from '../../../src/spdk/call.js';
import { SpdkClient } from '../../../src/spdk/client.js';
import { SpdkMethods } from '../../../src/spdk/methods/index.js';
import { startSim } from '../../sim/helpers/start-sim.js';

const NODE_ROOT = fileURLToPath(new URL('../fixtures/resources/node', import.meta.url));

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function resources(simArgs: string[], config: Partial<Config> = {}) {
  const sim = await startSim({ name: 'L', args: simArgs });
  const client = new SpdkClient({ socketPath: sim.socket, logger: pino({ level: 'silent' }) });
  const spdk = new SpdkMethods(client);
  const methods: string[] = [];
  const r = new NodeResources({
    // Counts the calls it makes (the contract checks still run in the client).
    spdk: new SpdkMethods({
      call: <T>(method: string, params?: object, options?: CallOptions) => {
        methods.push(method);
        return client.call<T>(method, params, options);
      },
    }),
    client,
    log: pino({ level: 'silent' }),
    config: { ...loadConfig(), 'health.samplePeriodMs': 600_000, ...config } as Config,
    hostRoot: NODE_ROOT,
  });
  cleanup.push(async () => {
    await r.close();
    await client.close();
    await sim.stop();
  });
  return { r, spdk, methods };
}

describe("spdk_tgt's max_subsystems", () => {
  it('is read from spdk_tgt, whose nvmf configuration gives it as nvmf_set_max_subsystems', async () => {
    const { r, spdk, methods } = await resources(['--max-subsystems', '3']);
    const config = await spdk.info.getConfig('nvmf');
    expect(config.slice(0, 3).map((e) => e.method)).toEqual(['nvmf_set_config', 'nvmf_set_max_subsystems', 'nvmf_set_crdt']);
    expect(config[1]).toEqual({ method: 'nvmf_set_max_subsystems', params: { max_subsystems: 3 } });
    expect(r.subsystemLimit()).toEqual({ max: 1024, source: 'default' });
    await r.start();
    expect(r.subsystemLimit()).toEqual({ max: 3, source: 'spdk_tgt' });
    expect(methods.filter((m) => m === 'framework_get_config')).toHaveLength(1);
    // The discovery subsystem and two exports: the third is refused, naming the limit read.
    const a = await r.admit({ kind: 'export', what: 'export of r1', nqn: 'nqn.2016-06.io.spdk:r1' });
    await spdk.nvmf.createSubsystem({ nqn: 'nqn.2016-06.io.spdk:r1', allow_any_host: true });
    a.release(['nqn.2016-06.io.spdk:r1']);
    const b = await r.admit({ kind: 'export', what: 'export of r2', nqn: 'nqn.2016-06.io.spdk:r2' });
    await expect(r.admit({ kind: 'export', what: 'export of r3', nqn: 'nqn.2016-06.io.spdk:r3' })).rejects.toMatchObject({
      code: 'SPDK_LIMIT_REACHED',
      message: 'export of r3 needs 1 NVMe-oF subsystem; spdk_tgt has 2 of its 3 (max_subsystems, the discovery subsystem included), 1 reserved by running work',
      details: { maxSubsystems: 3, maxSubsystemsSource: 'spdk_tgt' },
    });
    // r2 failed and made nothing: its room is free at once, without a sample.
    b.release([]);
    (await r.admit({ kind: 'export', what: 'export of r3', nqn: 'nqn.2016-06.io.spdk:r3' })).release([]);
    // Deleted by the service: it stops counting as soon as the delete is answered.
    await spdk.nvmf.deleteSubsystem({ nqn: 'nqn.2016-06.io.spdk:r1' });
    r.subsystemsGone(['nqn.2016-06.io.spdk:r1']);
    const c = await r.admit({ kind: 'export', what: 'export of r4', nqn: 'nqn.2016-06.io.spdk:r4' });
    (await r.admit({ kind: 'export', what: 'export of r5', nqn: 'nqn.2016-06.io.spdk:r5' })).release([]);
    c.release([]);
  });

  it('comes from spdk.maxSubsystems when set, and spdk_tgt is not asked', async () => {
    const { r, methods } = await resources(['--max-subsystems', '3'], { 'spdk.maxSubsystems': 2 });
    await r.start();
    expect(r.subsystemLimit()).toEqual({ max: 2, source: 'config' });
    expect(methods).not.toContain('framework_get_config');
    await expect(r.admit({ kind: 'export', what: 'export of r1' })).resolves.toBeDefined();
    await expect(r.admit({ kind: 'export', what: 'export of r2' })).rejects.toMatchObject({ code: 'SPDK_LIMIT_REACHED', details: { maxSubsystems: 2, maxSubsystemsSource: 'config' } });
  });

  it('is not taken from a configuration that lacks it', () => {
    expect(maxSubsystemsIn([{ method: 'nvmf_set_config', params: {} }])).toBeUndefined();
    expect(maxSubsystemsIn([{ method: 'nvmf_set_max_subsystems', params: { max_subsystems: 0 } }])).toBeUndefined();
    expect(maxSubsystemsIn([{ method: 'nvmf_set_max_subsystems', params: { max_subsystems: 4096 } }])).toBe(4096);
  });
});
