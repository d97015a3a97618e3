/**
 * The nvmf module's validation table (spdk/sim/nvmf/validation.ts) walked on a simulator process,
 * and issue 15's nvmf cases: a listener with adrfam ipv6 and an IPv4 traddr, max_namespaces past
 * what the simulator keeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NVMF_VALIDATION } from '../../../spdk/sim/nvmf/validation.js';
import { portBlock } from '../../helpers/ports.js';
import { SimClient } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';
import { walkTable, type CheckExamples } from '../helpers/validation-walk.js';

const NQN = 'nqn.2016-06.io.spdk:v1';
const INVALID = { code: -32602, message: 'Invalid parameters' };
const examples: CheckExamples = {
  'nvmf_create_subsystem: tgt_name the default target': { params: { nqn: NQN, tgt_name: 'other' }, code: -32603, message: 'Unable to find target other' },
  'nvmf_create_subsystem: max_write_zeroes_size_kib 0 or a power of 2 from 8': {
    params: { nqn: NQN, max_write_zeroes_size_kib: 12 },
    code: -32602,
    message: 'Invalid max_write_zeroes_size_kib 12',
  },
  'nvmf_subsystem_add_ns: namespace.nguid 32 hex digits': { params: { nqn: NQN, namespace: { bdev_name: 'b', nguid: '0123456789abcdef' } }, ...INVALID },
  'nvmf_subsystem_add_ns: namespace.eui64 16 hex digits': { params: { nqn: NQN, namespace: { bdev_name: 'b', eui64: 'zz23456789abcdef' } }, ...INVALID },
};

let sim: RunningSim;
let client: SimClient;

beforeAll(async () => {
  sim = await startSim({ name: 'NV' });
  client = await SimClient.connect(sim.socket);
});

afterAll(async () => {
  client?.close();
  await sim?.stop();
});

describe('nvmf validation table', () => {
  walkTable(NVMF_VALIDATION, () => client, examples);
});

describe('issue 15 examples (nvmf)', () => {
  it('refuses a listener with adrfam ipv6 and an IPv4 traddr (-32602), takes it as ipv4', async () => {
    const port = String(portBlock());
    await client.call('nvmf_create_transport', { trtype: 'TCP' });
    await client.call('nvmf_create_subsystem', { nqn: NQN, allow_any_host: true });
    const listen = (adrfam: string) => client.request('nvmf_subsystem_add_listener', { nqn: NQN, listen_address: { trtype: 'tcp', adrfam, traddr: '127.0.0.1', trsvcid: port } });
    expect((await listen('ipv6')).error).toEqual(INVALID);
    expect((await listen('IPv4')).result).toBe(true);
    expect(await client.call('nvmf_subsystem_get_listeners', { nqn: NQN })).toMatchObject([{ address: { adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: port } }]);
    expect(await client.call('nvmf_delete_subsystem', { nqn: NQN })).toBe(true);
  });

  it('takes max_write_zeroes_size_kib UINT64_MAX as not given; refuses max_namespaces it cannot keep', async () => {
    const created = await client.requestText('nvmf_create_subsystem', `{"nqn":"${NQN}w","max_write_zeroes_size_kib":18446744073709551615}`);
    expect(created.result).toBe(true);
    expect((await client.request('nvmf_create_subsystem', { nqn: `${NQN}n`, max_namespaces: 4294967295 })).error).toEqual({
      code: -32603,
      message: `Unable to create subsystem ${NQN}n`,
    });
    expect(await client.call('nvmf_create_subsystem', { nqn: `${NQN}m`, max_namespaces: 65536 })).toBe(true);
  });
});
