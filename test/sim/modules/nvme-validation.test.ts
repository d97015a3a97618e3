/**
 * The bdev_nvme module's validation table (spdk/sim/nvme/validation.ts) walked on a simulator
 * process: the transport id checks of attach and detach in bdev_nvme_rpc.c's order, among them
 * issue 15's over-long NQNs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NVME_VALIDATION } from '../../../spdk/sim/nvme/validation.js';
import { SimClient } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';
import { walkTable, type CheckExamples } from '../helpers/validation-walk.js';

const BASE = { name: 'n0', trtype: 'tcp', traddr: '127.0.0.1', trsvcid: '4420', subnqn: 'nqn.2016-06.io.spdk:x' };
const NQN_224 = `nqn.2016-06.io.spdk:${'q'.repeat(224 - 20)}`;
const ADDR_257 = 'a'.repeat(257);
const SVC_33 = '4'.repeat(33);
const TRTYPE_33 = 't'.repeat(33);
const einval = (message: string) => ({ code: -22, message });

const examples: CheckExamples = {
  'bdev_nvme_attach_controller: max_bdevs not 0': { params: { ...BASE, max_bdevs: 0 }, ...einval('max_bdevs cannot be zero') },
  'bdev_nvme_attach_controller: trtype at most 32 characters': { params: { ...BASE, trtype: TRTYPE_33 }, ...einval(`Failed to parse trtype: ${TRTYPE_33}`) },
  'bdev_nvme_attach_controller: traddr shorter than 257': { params: { ...BASE, traddr: ADDR_257 }, ...einval(`traddr too long: ${ADDR_257}`) },
  'bdev_nvme_attach_controller: adrfam IPv4, IPv6, IB, FC or INTRA_HOST': { params: { ...BASE, adrfam: 'ipv5' }, ...einval('Failed to parse adrfam: ipv5') },
  'bdev_nvme_attach_controller: trsvcid shorter than 33': { params: { ...BASE, trsvcid: SVC_33 }, ...einval(`trsvcid too long: ${SVC_33}`) },
  'bdev_nvme_attach_controller: subnqn shorter than 224': { params: { ...BASE, subnqn: NQN_224 }, ...einval(`subnqn too long: ${NQN_224}`) },
  'bdev_nvme_attach_controller: hostnqn shorter than 224': { params: { ...BASE, hostnqn: NQN_224 }, ...einval(`hostnqn too long: ${NQN_224}`) },
  'bdev_nvme_attach_controller: hostaddr shorter than 257': { params: { ...BASE, hostaddr: ADDR_257 }, ...einval(`hostaddr too long: ${ADDR_257}`) },
  'bdev_nvme_attach_controller: hostsvcid shorter than 33': { params: { ...BASE, hostsvcid: SVC_33 }, ...einval(`hostsvcid too long: ${SVC_33}`) },
  'bdev_nvme_detach_controller: trtype at most 32 characters': { params: { name: 'n0', trtype: TRTYPE_33 }, ...einval(`Failed to parse trtype: ${TRTYPE_33}`) },
  'bdev_nvme_detach_controller: traddr shorter than 257': { params: { name: 'n0', traddr: ADDR_257 }, ...einval(`traddr too long: ${ADDR_257}`) },
  'bdev_nvme_detach_controller: adrfam IPv4, IPv6, IB, FC or INTRA_HOST': { params: { name: 'n0', adrfam: 'x' }, ...einval('Failed to parse adrfam: x') },
  'bdev_nvme_detach_controller: trsvcid shorter than 33': { params: { name: 'n0', trsvcid: SVC_33 }, ...einval(`trsvcid too long: ${SVC_33}`) },
  'bdev_nvme_detach_controller: subnqn shorter than 224': { params: { name: 'n0', subnqn: NQN_224 }, ...einval(`subnqn too long: ${NQN_224}`) },
  'bdev_nvme_detach_controller: hostaddr shorter than 257': { params: { name: 'n0', hostaddr: ADDR_257 }, ...einval(`hostaddr too long: ${ADDR_257}`) },
  'bdev_nvme_detach_controller: hostsvcid shorter than 33': { params: { name: 'n0', hostsvcid: SVC_33 }, ...einval(`hostsvcid too long: ${SVC_33}`) },
};

let sim: RunningSim;
let client: SimClient;

beforeAll(async () => {
  sim = await startSim({ name: 'MV' });
  client = await SimClient.connect(sim.socket);
});

afterAll(async () => {
  client?.close();
  await sim?.stop();
});

describe('bdev_nvme validation table', () => {
  walkTable(NVME_VALIDATION, () => client, examples);
});

describe('issue 15 examples (bdev_nvme)', () => {
  it('takes a 223-character hostnqn and subnqn past these checks (they fit with the NUL)', async () => {
    const nqn = NQN_224.slice(0, 223);
    const r = await client.request('bdev_nvme_attach_controller', { ...BASE, subnqn: nqn, hostnqn: nqn, trsvcid: '1' });
    expect(r.error?.message).not.toMatch(/too long/);
  });
});
