/**
 * The simulator's listeners answer real NVMe/TCP (spdk/sim/nvmf/tcp/), checked on a simulator
 * process over real sockets with a scripted host whose PDUs are built field by field
 * (scripts/lib/nvme-tcp-wire.ts). Expected values are SPDK v26.05's (lib/nvmf/tcp.c, ctrlr.c,
 * ctrlr_bdev.c) for the transport's defaults. Needs the simulator built (`npm run build`).
 *
 * The same checks run against real spdk_tgt with NVMF_TCP_TARGET=real and SPDK_TGT set (under
 * `flock /tmp/real-spdk.lock`): that is how the simulator's values were checked. Cases that need
 * the simulator's own sim_ methods or a second simulator are skipped there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commonHeader, connectData, connectQpair, connectSqe, enable, icReqPdu, propertySqe, readSqe, sqe, WireHost, writeSqe, type Done } from '../../scripts/lib/nvme-tcp-wire.js';
import { crc32c } from '../../spdk/sim/nvmf/tcp/pdu.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';
import { until } from '../helpers/until.js';
import { dhchapKey, writeKey } from './helpers/key-files.js';
import { SimClient } from './helpers/sim-client.js';
import { startSim } from './helpers/start-sim.js';
import { REAL_TCP_TARGET, startTcpTarget } from './helpers/tcp-target.js';

const REAL = REAL_TCP_TARGET;

/** The target under test: a simulator process, or real spdk_tgt. */

const NQN = 'nqn.2016-06.io.spdk:tcp1';
const HOST = 'nqn.2016-06.io.spdk:restore-host';
const BS = 4096;
const BLOCKS = 2048;
let target: { socket: string; stop(): Promise<void> };
let rpc: SimClient;
let port: number;

const hostsOpen: WireHost[] = [];
async function qpair(qid: number, opts: { cntlid?: number; sqsize?: number; kato?: number; hostnqn?: string; subnqn?: string } = {}): Promise<{ host: WireHost; done: Done }> {
  const r = await connectQpair(port, opts.subnqn ?? NQN, opts.hostnqn ?? HOST, qid, opts);
  hostsOpen.push(r.host);
  return r;
}

/** An admin qpair with its controller enabled, and an I/O qpair of it. */
async function association(kato = 0): Promise<{ admin: WireHost; io: WireHost; cntlid: number }> {
  const { host: admin, done } = await qpair(0, { kato });
  expect(done.cqe.sc).toBe(0);
  expect((await enable(admin)).cqe.sc).toBe(0);
  const { host: io, done: ioDone } = await qpair(1, { cntlid: done.cqe.cdw0 & 0xffff, sqsize: 127 });
  expect(ioDone.cqe).toMatchObject({ sct: 0, sc: 0, cdw0: done.cqe.cdw0 & 0xffff });
  return { admin, io, cntlid: done.cqe.cdw0 & 0xffff };
}

const pattern = (bytes: number, seed: number) => Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 7 + seed) & 0xff));

beforeAll(async () => {
  port = portBlock();
  target = await startTcpTarget('nvmf-tcp');
  rpc = await SimClient.connect(target.socket);
  await rpc.call('nvmf_create_transport', { trtype: 'TCP' });
  await rpc.call('bdev_malloc_create', { name: 'm0', num_blocks: 16384, block_size: BS });
  await rpc.call('bdev_lvol_create_lvstore', { bdev_name: 'm0', lvs_name: 'ls', cluster_sz: 1024 * 1024 });
  await rpc.call('bdev_lvol_create', { lvs_name: 'ls', lvol_name: 'restore', size_in_mib: (BLOCKS * BS) / (1024 * 1024), thin_provision: true });
  await rpc.call('nvmf_create_subsystem', { nqn: NQN, serial_number: 'SPDK00000000000001', model_number: 'SPDK bdev Controller' });
  await rpc.call('nvmf_subsystem_add_host', { nqn: NQN, host: HOST });
  await rpc.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'ls/restore' } });
  await rpc.call('nvmf_subsystem_add_listener', { nqn: NQN, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) } });
}, 90_000);

afterAll(async () => {
  for (const h of hostsOpen) h.close();
  rpc?.close();
  await target?.stop();
});

describe('initialize connection', () => {
  it('answers an ICReq with v26.05 ICResp values: PFV 0, CPDA = HPDA, no digests, MAXH2CDATA = max_io_size', async () => {
    const h = await WireHost.connect(port);
    hostsOpen.push(h);
    expect(await h.icReq()).toEqual({ hlen: 128, plen: 128, pfv: 0, cpda: 0, dgst: 0, maxh2cdata: 131072 });
    const h2 = await WireHost.connect(port);
    hostsOpen.push(h2);
    // Digests asked for are granted (tcp.c echoes the host's bits); CPDA follows HPDA.
    expect(await h2.icReq(3, 3)).toMatchObject({ cpda: 3, dgst: 3 });
  });
});

describe('connect', () => {
  it('accepts an allowed host with the first cntlid of the range and refuses others as v26.05 does', async () => {
    const { done } = await qpair(0);
    expect(done.cqe).toMatchObject({ sct: 0, sc: 0 });
    expect(done.cqe.cdw0 & 0xffff).toBeGreaterThanOrEqual(1);
    // Host not on the allow-list: Connect Invalid Host (sct 1, sc 0x84).
    expect((await qpair(0, { hostnqn: 'nqn.2016-06.io.spdk:stranger' })).done.cqe).toMatchObject({ sct: 1, sc: 0x84 });
    // Unknown subsystem: Connect Invalid Parameters (0x82), IATTR 1 (data), IPO 256 (subnqn).
    const unknown = (await qpair(0, { subnqn: 'nqn.2016-06.io.spdk:nope' })).done.cqe;
    expect(unknown).toMatchObject({ sct: 1, sc: 0x82, cdw0: (1 << 16) | 256 });
    // An I/O queue of a controller that does not exist: IPO 16 (cntlid).
    expect((await qpair(1, { cntlid: 0x7777 })).done.cqe).toMatchObject({ sct: 1, sc: 0x82, cdw0: (1 << 16) | 16 });
    // An I/O queue before CC.EN: Invalid Parameters on qid (IATTR 0, IPO 42).
    const ctrl = done.cqe.cdw0 & 0xffff;
    expect((await qpair(1, { cntlid: ctrl })).done.cqe).toMatchObject({ sct: 1, sc: 0x82, cdw0: 42 });
  });

  it('property get/set: CAP, VS, CC enable sets CSTS.RDY, shutdown sets CSTS.SHST', async () => {
    const { host: admin } = await qpair(0);
    const cap = (await admin.command(propertySqe(false, 0x00, true))).cqe;
    // MQES 127, CQR, TO 30 (15 s), CSS NVM, CRWMS.
    expect((BigInt(cap.cdw1) << 32n) | BigInt(cap.cdw0)).toBe(0x0800_0020_1e01_007fn);
    expect((await admin.command(propertySqe(false, 0x08, false))).cqe.cdw0).toBe(0x0002_0000);
    // An admin command before CC.EN: Command Sequence Error.
    expect((await admin.command(sqe({ opcode: 0x06, cdw10: 1, sglLength: 4096 }))).cqe).toMatchObject({ sct: 0, sc: 0x0c });
    expect((await enable(admin)).cqe.sc).toBe(0);
    expect((await admin.command(propertySqe(false, 0x14, false))).cqe.cdw0).toBe(0x460001);
    expect((await admin.command(propertySqe(false, 0x1c, false))).cqe.cdw0).toBe(1);
    // An unknown property offset: Invalid Parameters.
    expect((await admin.command(propertySqe(false, 0x500, false))).cqe).toMatchObject({ sct: 1, sc: 0x82 });
    expect((await admin.command(propertySqe(true, 0x14, false, 0x464001n))).cqe.sc).toBe(0);
    // CSTS.SHST becomes 2 (complete) once the I/O qpairs are gone, a moment after the Set (as on spdk_tgt).
    await until('CSTS.SHST complete', async () => ((await admin.command(propertySqe(false, 0x1c, false))).cqe.cdw0 & 0xc) === 0x8 || undefined, 10_000);
  });

  it('identify controller and namespace carry the transport and bdev values', async () => {
    const { admin, cntlid } = await association();
    const ctrl = await admin.command(sqe({ opcode: 0x06, cdw10: 1, sglLength: 4096 }));
    expect(ctrl.viaC2hSuccess).toBe(true);
    const c = ctrl.data;
    expect(c.length).toBe(4096);
    expect(c.readUInt16LE(0)).toBe(0x8086);
    expect(c.toString('latin1', 4, 24)).toBe('SPDK00000000000001  ');
    expect(c.toString('latin1', 24, 64).trimEnd()).toBe('SPDK bdev Controller');
    expect(c.toString('latin1', 64, 72)).toBe('26.05   ');
    expect(c[77]).toBe(5); // MDTS: 128 KiB / 4 KiB = 2^5
    expect(c.readUInt16LE(78)).toBe(cntlid);
    expect(c.readUInt32LE(80)).toBe(0x20000);
    expect(c.readUInt16LE(320)).toBe(100); // KAS
    expect(c.readUInt16LE(514)).toBe(128); // MAXCMD
    expect(c.readUInt32LE(516)).toBe(32); // NN = max_namespaces
    expect(c.toString('utf8', 768, 768 + NQN.length)).toBe(NQN);
    expect(c.readUInt32LE(1792)).toBe(4 + 4096 / 16); // IOCCSZ
    expect(c.readUInt32LE(1796)).toBe(1); // IORCSZ
    const ns = (await admin.command(sqe({ opcode: 0x06, nsid: 1, cdw10: 0, sglLength: 4096 }))).data;
    expect(ns.readBigUInt64LE(0)).toBe(BigInt(BLOCKS));
    expect(ns.readBigUInt64LE(8)).toBe(BigInt(BLOCKS));
    expect(ns[26]).toBe(0); // FLBAS: format 0
    expect((ns.readUInt32LE(128) >> 16) & 0xff).toBe(12); // LBAF0.LBADS: 4096-byte blocks
    expect(ns[31]).toBe(0xfe); // RESCAP
    expect([ns.readUInt16LE(74), ns.readUInt32LE(76)]).toEqual([33, 33]); // MSSRL, MCL: one 132 KiB iobuf of 4 KiB blocks (an lvol copies by read and write)
    // Log pages: supported ones listed; firmware slot 1 active with the firmware revision.
    const logPage = (lid: number) => admin.command(sqe({ opcode: 0x02, cdw10: lid | (127 << 16), sglLength: 512 }));
    const supported = (await logPage(0x00)).data;
    expect([0, 1, 2, 3, 4, 5, 0x12, 0x13].map((lid) => supported.readUInt32LE(lid * 4))).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    const firmware = (await logPage(0x03)).data;
    expect([firmware[0], firmware.toString('latin1', 8, 16)]).toEqual([1, '26.05   ']);
    expect((await logPage(0x70)).cqe).toMatchObject({ sct: 1, sc: 0x09 }); // Invalid Log Page
    const list = (await admin.command(sqe({ opcode: 0x06, cdw10: 2, sglLength: 4096 }))).data;
    expect([list.readUInt32LE(0), list.readUInt32LE(4)]).toEqual([1, 0]);
    // Number of Queues: max_qpairs_per_ctrlr - 2 in both halves, whatever was asked.
    expect((await admin.command(sqe({ opcode: 0x0a, cdw10: 7, sglLength: 0, sglType: 0 }))).cqe.cdw0).toBe(0x007e007e);
    // An unknown admin opcode: Invalid Opcode.
    expect((await admin.command(sqe({ opcode: 0xc5, sglLength: 0, sglType: 0 }))).cqe).toMatchObject({ sct: 0, sc: 0x01 });
  });
});

describe('I/O through the bdev', () => {
  it('writes in-capsule and via R2T, reads back (zeros where never written), flushes, counts in iostat, allocates thin clusters', async () => {
    const { io } = await association();
    const before = (await rpc.call<{ bdevs: Array<{ bytes_written: number; bytes_read: number }> }>('bdev_get_iostat', { names: ['ls/restore'] })).bdevs[0]!;
    const small = pattern(BS, 1);
    expect((await io.command(writeSqe(1, 0, 1, BS, true), { inCapsule: small })).cqe).toMatchObject({ sct: 0, sc: 0 });
    const big = pattern(128 * 1024, 2);
    const lba = 512; // the third 1 MiB cluster
    expect((await io.command(writeSqe(1, lba, 32, BS), { writeData: big })).cqe).toMatchObject({ sct: 0, sc: 0 });
    const back = await io.command(readSqe(1, 0, 1, BS));
    expect(back.viaC2hSuccess).toBe(true);
    expect(back.data.equals(small)).toBe(true);
    expect((await io.command(readSqe(1, lba, 32, BS))).data.equals(big)).toBe(true);
    expect((await io.command(readSqe(1, 300, 8, BS))).data.equals(Buffer.alloc(8 * BS))).toBe(true);
    expect((await io.command(sqe({ opcode: 0x00, nsid: 1, sglLength: 0, sglType: 0 }))).cqe).toMatchObject({ sct: 0, sc: 0 });
    const clusters = async () =>
      (await rpc.call<Array<{ driver_specific: { lvol: { num_allocated_clusters: number } } }>>('bdev_get_bdevs', { name: 'ls/restore' }))[0]!.driver_specific.lvol.num_allocated_clusters;
    expect(await clusters()).toBe(2);
    const after = (await rpc.call<{ bdevs: Array<{ bytes_written: number; bytes_read: number }> }>('bdev_get_iostat', { names: ['ls/restore'] })).bdevs[0]!;
    expect(after.bytes_written - before.bytes_written).toBe(BS + 128 * 1024);
    expect(after.bytes_read - before.bytes_read).toBe(BS + 128 * 1024 + 8 * BS);
    // Write Zeroes into a cluster never written allocates it, as the blobstore does (real spdk_tgt too).
    const written = async (name: string) => (await rpc.call<{ bdevs: Array<{ bytes_written: number; num_write_ops: number }> }>('bdev_get_iostat', { names: [name] })).bdevs[0]!;
    const [lvolBefore, baseBefore] = [await written('ls/restore'), await written('m0')];
    expect((await io.command(sqe({ opcode: 0x08, nsid: 1, cdw10: 1024, cdw12: 255, sglLength: 0, sglType: 0 }))).cqe).toMatchObject({ sct: 0, sc: 0 });
    expect(await clusters()).toBe(3);
    // v26.05's bdev layer counts no WRITE_ZEROES (bdev_io_update_io_stat): not on the namespace's
    // lvol, nor the 1 MiB of zeros on the malloc bdev under it, where only the blob's metadata
    // write for the new cluster shows (one 4 KiB page, on real spdk_tgt as here).
    const [lvolAfter, baseAfter] = [await written('ls/restore'), await written('m0')];
    expect(lvolAfter).toMatchObject({ bytes_written: lvolBefore.bytes_written, num_write_ops: lvolBefore.num_write_ops });
    expect([baseAfter.bytes_written - baseBefore.bytes_written, baseAfter.num_write_ops - baseBefore.num_write_ops]).toEqual([BS, 1]);
    // Past the end: LBA Out of Range; an unknown namespace: Invalid Namespace (DNR).
    expect((await io.command(readSqe(1, BLOCKS, 1, BS))).cqe).toMatchObject({ sct: 0, sc: 0x80 });
    expect((await io.command(readSqe(9, 0, 1, BS))).cqe).toMatchObject({ sct: 0, sc: 0x0b, dnr: true });
  });

  it('lists the controller and its qpairs in nvmf_subsystem_get_controllers / get_qpairs, and drops them with the host', async () => {
    const { admin, io, cntlid } = await association();
    const ctrls = await rpc.call<Array<{ cntlid: number; hostnqn: string; num_io_qpairs: number; hostid: string }>>('nvmf_subsystem_get_controllers', { nqn: NQN });
    expect(ctrls.find((c) => c.cntlid === cntlid)).toEqual({ cntlid, cntrltype: 'io', hostnqn: HOST, hostid: '2b2c0f2e-6c4b-4c6a-9f0e-0d5f1b7a9c11', num_io_qpairs: 2 });
    const qpairs = await rpc.call<Array<{ cntlid: number; qid: number }>>('nvmf_subsystem_get_qpairs', { nqn: NQN });
    expect(qpairs.filter((q) => q.cntlid === cntlid).map((q) => q.qid)).toEqual([0, 1]);
    // The controller outlives its admin qpair while an I/O qpair remains (v26.05 destroys it with its last qpair).
    const listed = async () => (await rpc.call<Array<{ cntlid: number; num_io_qpairs: number }>>('nvmf_subsystem_get_controllers', { nqn: NQN })).find((c) => c.cntlid === cntlid);
    admin.close();
    await until('the admin qpair gone', async () => ((await listed())?.num_io_qpairs === 1 ? true : undefined), 10_000);
    expect((await io.command(readSqe(1, 0, 1, BS))).cqe.sc).toBe(0);
    io.close();
    await until('the controller is gone', async () => ((await listed()) === undefined ? true : undefined), 10_000);
  });
});

describe('bad PDUs and silence', () => {
  it('a capsule with a wrong header length gets a C2HTermReq (invalid header field at hlen); the target closes 30 s later if the host does not', async () => {
    const h = await WireHost.connect(port);
    hostsOpen.push(h);
    await h.icReq();
    const bad = Buffer.alloc(80);
    commonHeader(0x04, 0, 80, 0, 80).copy(bad, 0);
    h.send(bad);
    await until('the C2HTermReq', () => h.term ?? undefined, 10_000);
    expect(h.term).toMatchObject({ fes: 0x01, fei: 2 });
    expect(h.term!.echoed.subarray(0, 8).equals(bad.subarray(0, 8))).toBe(true);
    await h.closed;
  }, 60_000);

  it('an ICReq whose plen is not 128 is an invalid header field at plen; a capsule before the ICReq a PDU sequence error', async () => {
    const h = await WireHost.connect(port);
    hostsOpen.push(h);
    const ic = icReqPdu();
    ic.writeUInt32LE(4096, 4);
    h.send(ic);
    await until('the C2HTermReq', () => h.term ?? undefined, 10_000);
    expect(h.term).toMatchObject({ fes: 0x01, fei: 4 });
    h.close();
    const early = await WireHost.connect(port);
    hostsOpen.push(early);
    early.send(Buffer.concat([commonHeader(0x04, 0, 72, 0, 72), sqe({ opcode: 0x06 })]));
    await until('the C2HTermReq', () => early.term ?? undefined, 10_000);
    expect(early.term?.fes).toBe(0x02);
    early.close();
  });

  it('an oversize in-capsule write (64 KiB > in_capsule_data_size) gets a C2HTermReq data transfer limit exceeded', async () => {
    const { io } = await association();
    const big = Buffer.alloc(64 * 1024, 1);
    void io.command(writeSqe(1, 0, 16, BS, true), { inCapsule: big }).catch(() => undefined);
    await until('the C2HTermReq', () => io.term ?? undefined, 10_000);
    expect(io.term?.fes).toBe(0x05);
    io.close();
  });

  it('random bytes after an ICReq (seeded) end each connection with a C2HTermReq or a close, and the target keeps answering', async () => {
    let seed = 17;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let round = 0; round < 20; round++) {
      const h = await WireHost.connect(port);
      hostsOpen.push(h);
      await h.icReq();
      const junk = Buffer.alloc(64 + (random() % 4096));
      for (let i = 0; i < junk.length; i++) junk[i] = random() & 0xff;
      junk[0] = [0x04, 0x06, 0x02, random() & 0xff][round % 4]!; // often a type the target takes, with junk after
      h.send(junk);
      await until('a C2HTermReq or the close', () => (h.term || h.gone ? true : undefined), 10_000);
      h.close();
    }
    expect(await rpc.call('spdk_get_version')).toMatchObject({ version: expect.stringContaining('SPDK v26.05') });
  });

  it('a host that sends no Keep Alive within KATO (min_kato 10 s) loses its controller', async () => {
    const { admin, io, cntlid } = await association(1000);
    // Keep-alive timer: 1 s asked, min_kato 10 s given; spdk's poller checks every 10 s.
    expect((await admin.command(sqe({ opcode: 0x0a, cdw10: 0x0f, sglLength: 0, sglType: 0 }))).cqe.cdw0).toBe(10_000);
    await until('the controller was dropped for keep-alive timeout', () => (admin.gone ? true : undefined), 40_000);
    await io.closed;
    expect((await rpc.call<Array<{ cntlid: number }>>('nvmf_subsystem_get_controllers', { nqn: NQN })).some((c) => c.cntlid === cntlid)).toBe(false);
  }, 60_000);
});

describe('beside SIMF', () => {
  it.skipIf(REAL)('a simulator bdev_nvme attach (SIMF) to the same listener works while NVMe/TCP hosts are connected', async () => {
    const { io } = await association();
    const other = await startSim({ name: 'S' });
    const remote = await SimClient.connect(other.socket);
    try {
      await attachAndRead(remote, io);
    } finally {
      remote.close();
      await other.stop();
    }
  });

  it.skipIf(REAL)('sim_listeners_kill closes NVMe/TCP connections too', async () => {
    const { admin, io } = await association();
    await rpc.call('sim_listeners_kill');
    await admin.closed;
    await io.closed;
    await rpc.call('sim_listeners_restore');
  });
});

/** Another simulator attaches over SIMF and reads what the NVMe/TCP host wrote. */
async function attachAndRead(remote: SimClient, io: WireHost): Promise<void> {
  const name = await remote.call<string[]>('bdev_nvme_attach_controller', {
    name: 'self',
    trtype: 'tcp',
    adrfam: 'ipv4',
    traddr: '127.0.0.1',
    trsvcid: String(port),
    subnqn: NQN,
    hostnqn: HOST,
  });
  expect(name).toEqual(['selfn1']);
  const data = pattern(BS, 9);
  expect((await io.command(writeSqe(1, 100, 1, BS, true), { inCapsule: data })).cqe.sc).toBe(0);
  const read = await remote.call<{ data_base64: string }>('sim_bdev_read', { name: 'selfn1', offset_blocks: 100, num_blocks: 1 });
  expect(Buffer.from(read.data_base64, 'base64').equals(data)).toBe(true);
  const ctrls = await rpc.call<Array<{ hostnqn: string }>>('nvmf_subsystem_get_controllers', { nqn: NQN });
  expect(ctrls.filter((c) => c.hostnqn === HOST).length).toBeGreaterThanOrEqual(2);
  await remote.call('bdev_nvme_detach_controller', { name: 'self' });
}

describe('the subsystem changing under connected hosts', () => {
  const NQN2 = 'nqn.2016-06.io.spdk:tcp2';
  const export2 = async () => {
    await rpc.call('bdev_malloc_create', { name: 'x2', num_blocks: 256, block_size: BS });
    await rpc.call('nvmf_create_subsystem', { nqn: NQN2 });
    await rpc.call('nvmf_subsystem_add_host', { nqn: NQN2, host: HOST });
    await rpc.call('nvmf_subsystem_add_ns', { nqn: NQN2, namespace: { bdev_name: 'x2' } });
    await rpc.call('nvmf_subsystem_add_listener', { nqn: NQN2, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) } });
  };
  const associate2 = async () => {
    const { host: admin, done } = await qpair(0, { subnqn: NQN2 });
    expect((await enable(admin)).cqe.sc).toBe(0);
    const { host: io } = await qpair(1, { subnqn: NQN2, cntlid: done.cqe.cdw0 & 0xffff, sqsize: 127 });
    return { admin, io };
  };

  it('remove_ns fails later I/O with Invalid Namespace; remove_host and delete_subsystem close the connections', async () => {
    await export2();
    const { admin, io } = await associate2();
    expect((await io.command(readSqe(1, 0, 1, BS))).cqe.sc).toBe(0);
    // An Asynchronous Event Request is held until the namespace goes: Namespace Attribute Changed
    // (type 2, information 0, log page 04h), and the Changed Namespace List names nsid 1.
    const aer = admin.command(sqe({ opcode: 0x0c, sglLength: 0, sglType: 0 }));
    await rpc.call('nvmf_subsystem_remove_ns', { nqn: NQN2, nsid: 1 });
    expect((await aer).cqe).toMatchObject({ sct: 0, sc: 0, cdw0: 0x00040002 });
    const changed = (await admin.command(sqe({ opcode: 0x02, cdw10: 0x04 | (1023 << 16), sglLength: 4096 }))).data;
    expect([changed.readUInt32LE(0), changed.readUInt32LE(4)]).toEqual([1, 0]);
    expect((await io.command(readSqe(1, 0, 1, BS))).cqe).toMatchObject({ sct: 0, sc: 0x0b, dnr: true });
    // The list was read (RAE 0): the next change raises the event again.
    const aer2 = admin.command(sqe({ opcode: 0x0c, sglLength: 0, sglType: 0 }));
    await rpc.call('nvmf_subsystem_add_ns', { nqn: NQN2, namespace: { bdev_name: 'x2', nsid: 1 } });
    expect((await aer2).cqe.cdw0).toBe(0x00040002);
    expect((await io.command(readSqe(1, 0, 1, BS))).cqe.sc).toBe(0);
    await rpc.call('nvmf_subsystem_remove_host', { nqn: NQN2, host: HOST });
    await Promise.all([admin.closed, io.closed]);
    await rpc.call('nvmf_subsystem_add_host', { nqn: NQN2, host: HOST });
    const again = await associate2();
    await rpc.call('nvmf_delete_subsystem', { nqn: NQN2 });
    await Promise.all([again.admin.closed, again.io.closed]);
    await rpc.call('bdev_malloc_delete', { name: 'x2' });
  });
});

describe('digests and authentication', () => {
  it('with header digests asked for, capsules carry a CRC-32C the target checks (a bad one: C2HTermReq HDGST error)', async () => {
    const h = await WireHost.connect(port);
    hostsOpen.push(h);
    expect((await h.icReq(0, 1)).dgst).toBe(1);
    const capsule = (entry: Buffer, icd?: Buffer, corrupt = false) => {
      const head = Buffer.concat([commonHeader(0x04, 0x01, 72, icd ? 76 : 0, 76 + (icd?.length ?? 0)), entry]);
      const digest = Buffer.alloc(4);
      digest.writeUInt32LE((crc32c(head) ^ (corrupt ? 1 : 0)) >>> 0);
      return Buffer.concat([head, digest, icd ?? Buffer.alloc(0)]);
    };
    const connect = connectSqe(0, 31, 0);
    connect.writeUInt16LE(1, 2);
    h.send(capsule(connect, connectData(NQN, HOST)));
    await until('the Connect response', () => (h.lastPdu?.[0] === 0x05 ? h.lastPdu : undefined), 10_000);
    // The response capsule has its own header digest: plen 24 + 4.
    expect(h.lastPdu!.readUInt32LE(4)).toBe(28);
    expect(h.lastPdu!.readUInt32LE(24)).toBe(crc32c(h.lastPdu!.subarray(0, 24)));
    expect((h.lastPdu!.readUInt16LE(8 + 14) >> 1) & 0xff).toBe(0);
    h.send(capsule(propertySqe(false, 0, true), undefined, true));
    await until('the C2HTermReq', () => h.term ?? undefined, 10_000);
    expect(h.term?.fes).toBe(0x03);
    h.close();
  });

  it('a host whose entry has a DH-HMAC-CHAP key connects with ATR set and is refused everything else (Authentication Required)', async () => {
    const dir = tempDir('nvmf-tcp-keys');
    await rpc.call('keyring_file_add_key', { name: 'tcpkey0', path: writeKey(dir, 'tcpkey0', dhchapKey()) });
    const NQN3 = 'nqn.2016-06.io.spdk:tcp3';
    await rpc.call('nvmf_create_subsystem', { nqn: NQN3 });
    await rpc.call('nvmf_subsystem_add_host', { nqn: NQN3, host: HOST, dhchap_key: 'tcpkey0' });
    await rpc.call('nvmf_subsystem_add_listener', { nqn: NQN3, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) } });
    const { host, done } = await qpair(0, { subnqn: NQN3 });
    expect(done.cqe.sc).toBe(0);
    expect((done.cqe.cdw0 >>> 16) & 0x2).toBe(0x2); // AUTHREQ.ATR
    expect((await enable(host)).cqe).toMatchObject({ sct: 1, sc: 0x91 });
    await rpc.call('nvmf_delete_subsystem', { nqn: NQN3 });
  });
});

describe('transport options other than the defaults', () => {
  it('ICResp, CAP, Identify and the in-capsule limit follow nvmf_create_transport (max_io_size 256 KiB, in_capsule_data_size 8 KiB, max_queue_depth 64)', async () => {
    const other = await startTcpTarget('nvmf-tcp');
    const client = await SimClient.connect(other.socket);
    try {
      const nqn = 'nqn.2016-06.io.spdk:opts';
      const p = port + 1;
      await client.call('nvmf_create_transport', { trtype: 'TCP', max_io_size: 262144, in_capsule_data_size: 8192, max_queue_depth: 64, io_unit_size: 262144 });
      await client.call('bdev_malloc_create', { name: 'o0', num_blocks: 1024, block_size: BS });
      await client.call('nvmf_create_subsystem', { nqn, allow_any_host: true });
      await client.call('nvmf_subsystem_add_ns', { nqn, namespace: { bdev_name: 'o0' } });
      await client.call('nvmf_subsystem_add_listener', { nqn, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(p) } });
      const { host: admin, done } = await connectQpair(p, nqn, HOST, 0);
      hostsOpen.push(admin);
      expect(admin.maxh2cdata).toBe(262144);
      expect((await admin.command(propertySqe(false, 0x00, false))).cqe.cdw0 & 0xffff).toBe(63); // CAP.MQES
      expect((await enable(admin)).cqe.sc).toBe(0);
      const c = (await admin.command(sqe({ opcode: 0x06, cdw10: 1, sglLength: 4096 }))).data;
      expect([c[77], c.readUInt16LE(514), c.readUInt32LE(1792)]).toEqual([6, 64, 4 + 8192 / 16]); // MDTS, MAXCMD, IOCCSZ
      // An I/O queue deeper than max_queue_depth - 1 is refused (IPO 44, sqsize).
      expect((await connectQpair(p, nqn, HOST, 1, { cntlid: done.cqe.cdw0 & 0xffff, sqsize: 64 })).done.cqe).toMatchObject({ sct: 1, sc: 0x82, cdw0: 44 });
      const { host: io } = await connectQpair(p, nqn, HOST, 1, { cntlid: done.cqe.cdw0 & 0xffff, sqsize: 63 });
      hostsOpen.push(io);
      const data = pattern(8192, 5);
      expect((await io.command(writeSqe(1, 0, 2, BS, true), { inCapsule: data })).cqe.sc).toBe(0);
      const big = pattern(256 * 1024, 6);
      expect((await io.command(writeSqe(1, 64, 64, BS), { writeData: big })).cqe.sc).toBe(0);
      expect((await io.command(readSqe(1, 64, 64, BS))).data.equals(big)).toBe(true);
    } finally {
      client.close();
      await other.stop();
    }
  }, 90_000);
});
