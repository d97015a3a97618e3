/**
 * The NVMe/TCP host's DH-HMAC-CHAP (src/nvme-tcp/auth.ts) against the simulator's authenticating
 * NVMe/TCP target (spdk/sim/nvmf/tcp/): one way and both ways on both queues with I/O after, each
 * DH group (NULL and ffdhe2048 ... ffdhe8192, the host offering only that one: the simulator, like
 * spdk_tgt, picks the strongest offered), a wrong host key, a wrong controller key, and no key. Both
 * sides written separately from the specification and SPDK v26.05; test/real/nvme-tcp-host.test.ts
 * runs the same cases on real spdk_tgt.
 */
import crypto from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DH_GROUP_NAMES } from '../../src/nvme-tcp/auth.js';
import { NvmeTcpHost, type NvmeTcpConnectOptions } from '../../src/nvme-tcp/host.js';
import { portBlock } from '../helpers/ports.js';
import { conductorRefusal } from '../helpers/refusal.js';
import { tempDir } from '../helpers/temp-dir.js';
import { dhchapKey, writeKey } from '../sim/helpers/key-files.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { type RunningSim, startSim } from '../sim/helpers/start-sim.js';

const SUBNQN = 'nqn.2024-11.io.spdk-conductor:host-auth-sim';
const ONE_WAY = 'nqn.2014-08.org.nvmexpress:uuid:5b0c7a52-3c1e-4d7a-9f0e-0000000a51a1';
const BIDI = 'nqn.2014-08.org.nvmexpress:uuid:5b0c7a52-3c1e-4d7a-9f0e-0000000a51a2';
const BLOCK = 4096;

describe('NVMe/TCP host DH-HMAC-CHAP against the simulator', () => {
  let sim: RunningSim;
  let rpc: SimClient;
  let port: number;
  const keys = { oneWay: dhchapKey(64, 3), bidi: dhchapKey(32, 0), bidiCtrlr: dhchapKey(48, 2) };
  const connect = (hostnqn: string, dhchap?: NvmeTcpConnectOptions['dhchap'], log?: pino.Logger) =>
    NvmeTcpHost.connect({ address: '127.0.0.1', port, subnqn: SUBNQN, hostnqn, timeoutMs: 30_000, ...(dhchap ? { dhchap } : {}), ...(log ? { log } : {}) });
  /** The auth of controller `cntlid`'s qpairs as the target reports it. */
  const qpairAuth = async (cntlid: number) =>
    (await rpc.call<{ cntlid: number; qid: number; auth?: { state: string; digest: string; dhgroup: string } }[]>('nvmf_subsystem_get_qpairs', { nqn: SUBNQN }))
      .filter((q) => q.cntlid === cntlid)
      .map((q) => ({ qid: q.qid, ...q.auth }))
      .sort((a, b) => a.qid - b.qid);

  beforeAll(async () => {
    port = portBlock();
    sim = await startSim({ name: 'host-auth-sim' });
    rpc = await SimClient.connect(sim.socket);
    const dir = tempDir('host-auth-sim-keys');
    for (const [name, key] of Object.entries(keys)) await rpc.call('keyring_file_add_key', { name, path: writeKey(dir, name, key) });
    await rpc.call('nvmf_create_transport', { trtype: 'TCP' });
    await rpc.call('bdev_malloc_create', { name: 'm0', num_blocks: 2048, block_size: BLOCK });
    await rpc.call('nvmf_create_subsystem', { nqn: SUBNQN, allow_any_host: false });
    await rpc.call('nvmf_subsystem_add_host', { nqn: SUBNQN, host: ONE_WAY, dhchap_key: 'oneWay' });
    await rpc.call('nvmf_subsystem_add_host', { nqn: SUBNQN, host: BIDI, dhchap_key: 'bidi', dhchap_ctrlr_key: 'bidiCtrlr' });
    await rpc.call('nvmf_subsystem_add_ns', { nqn: SUBNQN, namespace: { bdev_name: 'm0' } });
    await rpc.call('nvmf_subsystem_add_listener', { nqn: SUBNQN, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) } });
  }, 60_000);

  afterAll(async () => {
    rpc?.close();
    await sim?.stop();
  });

  for (const [what, hostnqn, dhchap, bidirectional] of [
    ['one way', ONE_WAY, () => ({ key: keys.oneWay }), false],
    ['both ways', BIDI, () => ({ key: keys.bidi, ctrlrKey: keys.bidiCtrlr }), true],
  ] as const) {
    it(`authenticates ${what} on both queues and reads back what it wrote`, async () => {
      const host = await connect(hostnqn, dhchap());
      try {
        // The host offers every group by default: the target picks ffdhe8192
        expect(host.authentication).toEqual({ digest: 'sha512', dhgroup: 'ffdhe8192', bidirectional });
        const ns = await host.namespace();
        const data = crypto.randomBytes(256 * 1024);
        await host.write(ns.nsid, 0, data);
        expect((await host.read(ns.nsid, 0, data.length)).equals(data)).toBe(true);
      } finally {
        await host.close();
      }
    });
  }

  for (const dhgroup of DH_GROUP_NAMES) {
    it(`authenticates both ways with ${dhgroup} (the only group offered) on both queues; the target reports it; I/O works`, async () => {
      const { log, authMs } = recordingLog();
      const host = await connect(BIDI, { key: keys.bidi, ctrlrKey: keys.bidiCtrlr, dhgroups: [dhgroup] }, log);
      try {
        expect(host.authentication).toEqual({ digest: 'sha512', dhgroup, bidirectional: true });
        expect(await qpairAuth(host.cntlid)).toEqual([
          { qid: 0, state: 'completed', digest: 'sha512', dhgroup },
          { qid: 1, state: 'completed', digest: 'sha512', dhgroup },
        ]);
        console.log(`host-auth-sim: ${dhgroup} bidirectional sha512, ms per queue's authentication: ${authMs().join(', ')}`);
        const ns = await host.namespace();
        const data = crypto.randomBytes(64 * 1024);
        await host.write(ns.nsid, 0, data);
        expect((await host.read(ns.nsid, 0, data.length)).equals(data)).toBe(true);
      } finally {
        await host.close();
      }
    });
  }

  it('NVME_AUTH_FAILED under ffdhe2048 for a wrong host key and a wrong controller key', async () => {
    const wrong = await conductorRefusal(connect(ONE_WAY, { key: dhchapKey(64, 3), dhgroups: ['ffdhe2048'] }));
    expect(wrong.code).toBe('NVME_AUTH_FAILED');
    expect(wrong.details).toMatchObject({ rc: 1, rce: 1 });
    const impostor = await conductorRefusal(connect(BIDI, { key: keys.bidi, ctrlrKey: dhchapKey(48, 2), dhgroups: ['ffdhe2048'] }));
    expect(impostor.code).toBe('NVME_AUTH_FAILED');
    expect(impostor.message).toMatch(/does not verify/);
  });

  it('NVME_AUTH_FAILED for a wrong host key and for a wrong controller key; FAILED_PRECONDITION without a key', async () => {
    const wrong = await conductorRefusal(connect(ONE_WAY, { key: dhchapKey(64, 3) }));
    expect(wrong.code).toBe('NVME_AUTH_FAILED');
    expect(wrong.details).toMatchObject({ rc: 1, rce: 1 });
    const impostor = await conductorRefusal(connect(BIDI, { key: keys.bidi, ctrlrKey: dhchapKey(48, 2) }));
    expect(impostor.code).toBe('NVME_AUTH_FAILED');
    expect(impostor.message).toMatch(/does not verify/);
    const none = await conductorRefusal(connect(ONE_WAY));
    expect(none.code).toBe('FAILED_PRECONDITION');
    expect(none.message).toMatch(/no DH-HMAC-CHAP key given/);
  });
});

/** A debug logger whose 'queue authenticated' entries give each queue's authentication time. */
function recordingLog(): { log: pino.Logger; authMs: () => number[] } {
  const entries: { msg?: string; ms?: number }[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void entries.push(JSON.parse(line) as { msg?: string; ms?: number }) });
  return { log, authMs: () => entries.filter((e) => e.msg === 'NVMe/TCP queue authenticated (DH-HMAC-CHAP)').map((e) => e.ms!) };
}
