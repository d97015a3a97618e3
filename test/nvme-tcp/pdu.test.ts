/**
 * NVMe/TCP PDUs, SQEs and CQEs as bytes: each field at the offset the NVMe/TCP transport
 * specification and SPDK v26.05's nvmf_spec.h/nvme_spec.h give (asserted by number, not through the
 * decoders), and the stream reader cutting PDUs out of chunks split anywhere.
 */
import { describe, expect, it } from 'vitest';
import {
  dataOffset,
  decodeDataHeader,
  decodeIcResp,
  decodeR2t,
  decodeTermReq,
  encodeC2HData,
  encodeCapsuleCmd,
  encodeCapsuleResp,
  encodeH2CData,
  encodeIcReq,
  encodeIcResp,
  encodeR2t,
  encodeTermReq,
  FES,
  FLAG,
  PDU,
} from '../../src/nvme-tcp/pdu.js';
import { type DataSink, NvmeTcpProtocolError, PduReader } from '../../src/nvme-tcp/pdu-reader.js';
import {
  CC_ENABLE,
  CC_SHUTDOWN,
  connectSqe,
  decodeCap,
  decodeConnectData,
  decodeCqe,
  decodeCsts,
  decodeIdentifyController,
  decodeIdentifyNamespace,
  decodeNamespaceList,
  encodeConnectData,
  encodeCqe,
  identifySqe,
  ioSqe,
  OPC,
  propertyGetSqe,
  propertySetSqe,
  setCid,
} from '../../src/nvme-tcp/sqe.js';
import { commandError, statusText } from '../../src/nvme-tcp/status.js';

describe('PDU headers', () => {
  it('ICReq: 128 bytes, type 0, hlen 128, plen 128, PFV @8, HPDA @10, digests @11, MAXR2T @12', () => {
    const b = encodeIcReq({ hpda: 3, maxr2t: 0x01020304, headerDigest: false, dataDigest: true });
    expect(b.length).toBe(128);
    expect([b[0], b[1], b[2], b[3]]).toEqual([0x00, 0, 128, 0]);
    expect(b.readUInt32LE(4)).toBe(128);
    expect(b.readUInt16LE(8)).toBe(0);
    expect(b[10]).toBe(3);
    expect(b[11]).toBe(0b10);
    expect(b.readUInt32LE(12)).toBe(0x01020304);
    expect(b.subarray(16).equals(Buffer.alloc(112))).toBe(true);
  });

  it('ICResp: CPDA @10, digests @11, MAXH2CDATA @12', () => {
    const b = Buffer.alloc(128);
    b[0] = 0x01;
    b[2] = 128;
    b.writeUInt32LE(128, 4);
    b[10] = 7;
    b[11] = 0b01;
    b.writeUInt32LE(131_072, 12);
    expect(decodeIcResp(b)).toEqual({ pfv: 0, cpda: 7, headerDigest: true, dataDigest: false, maxh2cdata: 131_072 });
    expect(encodeIcResp({ cpda: 7, headerDigest: true, dataDigest: false, maxh2cdata: 131_072 }).equals(b)).toBe(true);
  });

  it('CapsuleCmd: hlen 72, the SQE @8; in-capsule data at PDO, aligned by CPDA', () => {
    const sqe = Buffer.alloc(64, 0xab);
    const bare = encodeCapsuleCmd(sqe, 0, 0);
    expect(bare.length).toBe(72);
    expect([bare[0], bare[1], bare[2], bare[3]]).toEqual([0x04, 0, 72, 0]);
    expect(bare.readUInt32LE(4)).toBe(72);
    expect(bare.subarray(8, 72).equals(sqe)).toBe(true);

    const withData = encodeCapsuleCmd(sqe, 4096, 0);
    expect(withData.length).toBe(72);
    expect(withData[3]).toBe(72);
    expect(withData.readUInt32LE(4)).toBe(72 + 4096);

    // CPDA 3: data on 16-byte boundaries, so PDO 80 and 8 bytes of padding after the SQE
    const aligned = encodeCapsuleCmd(sqe, 1024, 3);
    expect(aligned.length).toBe(80);
    expect(aligned[2]).toBe(72);
    expect(aligned[3]).toBe(80);
    expect(aligned.readUInt32LE(4)).toBe(80 + 1024);
    expect(aligned.subarray(72).equals(Buffer.alloc(8))).toBe(true);
    expect(dataOffset(24, 0)).toBe(24);
    expect(dataOffset(24, 7)).toBe(32);
    expect(dataOffset(72, 31)).toBe(128);
  });

  it('H2CData: type 6, hlen 24, CCCID @8, TTAG @10, DATAO @12, DATAL @16, LAST_PDU flag; padded to CPDA', () => {
    const b = encodeH2CData({ cccid: 0x1234, ttag: 0x0042, datao: 131_072, datal: 65_536, flags: FLAG.LAST_PDU }, 0);
    expect(b.length).toBe(24);
    expect([b[0], b[1], b[2], b[3]]).toEqual([0x06, 0x04, 24, 24]);
    expect(b.readUInt32LE(4)).toBe(24 + 65_536);
    expect(b.readUInt16LE(8)).toBe(0x1234);
    expect(b.readUInt16LE(10)).toBe(0x0042);
    expect(b.readUInt32LE(12)).toBe(131_072);
    expect(b.readUInt32LE(16)).toBe(65_536);
    const padded = encodeH2CData({ cccid: 1, ttag: 1, datao: 0, datal: 8, flags: 0 }, 7);
    expect(padded.length).toBe(32);
    expect(padded[3]).toBe(32);
    expect(padded.readUInt32LE(4)).toBe(40);
  });

  it('C2HData, R2T and CapsuleResp: fields where the target puts them', () => {
    const c2h = Buffer.alloc(24);
    c2h[0] = 0x07;
    c2h[1] = FLAG.LAST_PDU | FLAG.SUCCESS;
    c2h[2] = 24;
    c2h[3] = 24;
    c2h.writeUInt32LE(24 + 512, 4);
    c2h.writeUInt16LE(9, 8);
    c2h.writeUInt32LE(4096, 12);
    c2h.writeUInt32LE(512, 16);
    expect(decodeDataHeader(c2h)).toEqual({ cccid: 9, ttag: 0, datao: 4096, datal: 512, flags: 0x0c, pdo: 24 });
    expect(encodeC2HData({ cccid: 9, datao: 4096, datal: 512, flags: 0x0c }).equals(c2h)).toBe(true);

    const r2t = Buffer.alloc(24);
    r2t[0] = 0x09;
    r2t[2] = 24;
    r2t.writeUInt32LE(24, 4);
    r2t.writeUInt16LE(31, 8);
    r2t.writeUInt16LE(17, 10);
    r2t.writeUInt32LE(0, 12);
    r2t.writeUInt32LE(131_072, 16);
    expect(decodeR2t(r2t)).toEqual({ cccid: 31, ttag: 17, r2to: 0, r2tl: 131_072 });
    expect(encodeR2t({ cccid: 31, ttag: 17, r2to: 0, r2tl: 131_072 }).equals(r2t)).toBe(true);

    const cqe = encodeCqe({ cid: 5, dw0: 1, sqhd: 3, status: { sct: 0, sc: 0 } });
    const resp = encodeCapsuleResp(cqe);
    expect([resp[0], resp[2], resp.readUInt32LE(4)]).toEqual([0x05, 24, 24]);
    expect(resp.subarray(8).equals(cqe)).toBe(true);
  });

  it('TermReq: FES @8, FEI @10, the offending PDU after the 24-byte header, at most 128 bytes of it', () => {
    const offending = Buffer.alloc(200, 0x5a);
    const b = encodeTermReq({ type: PDU.H2C_TERM_REQ, fes: FES.INVALID_HEADER_FIELD, fei: 2, data: offending });
    expect(b.length).toBe(24 + 128);
    expect([b[0], b[2], b[3]]).toEqual([0x02, 24, 0]);
    expect(b.readUInt32LE(4)).toBe(152);
    expect(b.readUInt16LE(8)).toBe(1);
    expect(b.readUInt32LE(10)).toBe(2);
    expect(b.subarray(24).equals(offending.subarray(0, 128))).toBe(true);
    expect(decodeTermReq(b.subarray(0, 24), b.subarray(24))).toMatchObject({ type: 0x02, fes: 1, fei: 2 });
  });
});

describe('SQEs and CQEs', () => {
  it('Write: opcode 01h, PSDT 01b (SGL) @1, CID @2, NSID @4, SGL length @32 and type @39, SLBA @40/@44, NLB-1 @48', () => {
    const lba = 2 ** 33 + 7;
    const w = ioSqe(OPC.WRITE, 3, lba, 32, 131_072, false);
    setCid(w, 0x0102);
    expect(w.length).toBe(64);
    expect(w[0]).toBe(0x01);
    expect(w[1]).toBe(0x40);
    expect(w.readUInt16LE(2)).toBe(0x0102);
    expect(w.readUInt32LE(4)).toBe(3);
    expect(w.readBigUInt64LE(24)).toBe(0n);
    expect(w.readUInt32LE(32)).toBe(131_072);
    expect(w[39]).toBe(0x5a); // Transport Data Block (5h), Transport specific (Ah)
    expect(w.readUInt32LE(40)).toBe(7);
    expect(w.readUInt32LE(44)).toBe(2);
    expect(w.readUInt32LE(48)).toBe(31);
    const inCapsule = ioSqe(OPC.WRITE, 1, 0, 1, 4096, true);
    expect(inCapsule[39]).toBe(0x01); // Data Block (0h), Offset (1h)
    expect(ioSqe(OPC.READ, 1, 0, 65_536, 1, false).readUInt32LE(48)).toBe(0xffff);
  });

  it('Connect: opcode 7Fh, FCTYPE 01h @4, SGL in-capsule 1024 bytes, RECFMT @40, QID @42, SQSIZE @44, CATTR @46, KATO @48', () => {
    const c = connectSqe({ qid: 1, sqsize: 31, kato: 10_000 });
    expect(c[0]).toBe(0x7f);
    expect(c[4]).toBe(0x01);
    expect(c.readUInt32LE(32)).toBe(1024);
    expect(c[39]).toBe(0x01);
    expect(c.readUInt16LE(40)).toBe(0);
    expect(c.readUInt16LE(42)).toBe(1);
    expect(c.readUInt16LE(44)).toBe(31);
    expect(c[46]).toBe(0);
    expect(c.readUInt32LE(48)).toBe(10_000);
  });

  it('Connect data: HOSTID @0, CNTLID @16, SUBNQN @256 and HOSTNQN @512, NUL-terminated', () => {
    const hostid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const subnqn = 'nqn.2024-11.io.spdk-conductor:r1';
    const hostnqn = 'nqn.2014-08.org.nvmexpress:uuid:5b0c7a52-3c1e-4d7a-9f0e-000000000017';
    const d = encodeConnectData({ hostid, cntlid: 0xffff, subnqn, hostnqn });
    expect(d.length).toBe(1024);
    expect(d.subarray(0, 16).equals(hostid)).toBe(true);
    expect(d.readUInt16LE(16)).toBe(0xffff);
    expect(d.toString('utf8', 256, 256 + subnqn.length)).toBe(subnqn);
    expect(d[256 + subnqn.length]).toBe(0);
    expect(d.toString('utf8', 512, 512 + hostnqn.length)).toBe(hostnqn);
    expect(d[512 + hostnqn.length]).toBe(0);
    expect(decodeConnectData(d)).toEqual({ hostid, cntlid: 0xffff, subnqn, hostnqn });
  });

  it('Property Get/Set: FCTYPE 04h/00h @4, size @40 (0: 4 bytes, 1: 8), offset @44, value @48', () => {
    const get = propertyGetSqe(0x00, 8);
    expect([get[0], get[4], get[40]]).toEqual([0x7f, 0x04, 1]);
    expect(get.readUInt32LE(44)).toBe(0);
    const set = propertySetSqe(0x14, CC_ENABLE);
    expect([set[0], set[4], set[40]]).toEqual([0x7f, 0x00, 0]);
    expect(set.readUInt32LE(44)).toBe(0x14);
    expect(set.readUInt32LE(48)).toBe(0x00460001); // EN, IOSQES 6 @16, IOCQES 4 @20
    expect(CC_SHUTDOWN).toBe(0x00464001); // SHN 01b @14
    const id = identifySqe(0x01, 0);
    expect([id[0], id[1], id[39]]).toEqual([0x06, 0x40, 0x5a]);
    expect(id.readUInt32LE(32)).toBe(4096);
    expect(id.readUInt32LE(40)).toBe(1);
  });

  it('CQE: DW0 @0, SQHD @8, CID @12, status @14 (SC bits 8:1, SCT 11:9, DNR bit 15)', () => {
    const b = Buffer.alloc(16);
    b.writeUInt32LE(0x00010000 | 256, 0);
    b.writeUInt16LE(4, 8);
    b.writeUInt16LE(77, 12);
    b.writeUInt16LE((0x84 << 1) | (1 << 9) | 0x8000, 14);
    const cqe = decodeCqe(b);
    expect(cqe).toMatchObject({ dw0: 0x00010100, sqhd: 4, cid: 77, status: { sct: 1, sc: 0x84, dnr: true, more: false } });
    expect(encodeCqe({ cid: 77, dw0: 0x00010100, sqhd: 4, status: { sct: 1, sc: 0x84, dnr: true } }).equals(b)).toBe(true);
    expect(statusText(cqe.status)).toBe('invalid host (SCT 1h, SC 84h, DNR)');
    const error = commandError('Connect', cqe.status, {}, true);
    expect(error.code).toBe('FAILED_PRECONDITION');
    expect(error.details).toMatchObject({ sct: 1, sc: 0x84, dnr: true });
    expect(commandError('Write', { sct: 0, sc: 0x80, dnr: true, more: false, crd: 0 }).code).toBe('INVALID_ARGUMENT');
    expect(statusText({ sct: 2, sc: 0x33, dnr: false, more: false, crd: 0 })).toBe('media and data integrity status (SCT 2h, SC 33h)');
  });

  it('CAP (MQES, TO, MPSMIN), CSTS (RDY, CFS, SHST)', () => {
    // MQES 127, CQR, TO 30 (15 s) @24; MPSMIN 0 @48
    expect(decodeCap(0x1e01007f, 0x00000020)).toEqual({ mqes: 127, timeoutMs: 15_000, mpsminBytes: 4096 });
    expect(decodeCap(0, 0x00010000).mpsminBytes).toBe(8192);
    expect(decodeCsts(0b1001)).toEqual({ ready: true, fatal: false, shutdownComplete: true });
    expect(decodeCsts(0b0010)).toEqual({ ready: false, fatal: true, shutdownComplete: false });
  });

  it('Identify Controller and Namespace fields at their offsets', () => {
    const c = Buffer.alloc(4096);
    c.write('SPDK00000000000000001', 4, 'latin1');
    c[77] = 5;
    c.writeUInt16LE(3, 78);
    c.writeUInt16LE(100, 320);
    c.writeUInt16LE(128, 514);
    c.writeUInt32LE(32, 516);
    c.writeUInt32LE(260, 1792);
    c.writeUInt32LE(1, 1796);
    c.writeUInt16LE(0, 1800);
    expect(decodeIdentifyController(c)).toMatchObject({ mdts: 5, cntlid: 3, kas: 100, maxcmd: 128, nn: 32, ioccsz: 260, iorcsz: 1, icdoff: 0 });

    const n = Buffer.alloc(4096);
    n.writeBigUInt64LE(8192n, 0);
    n[25] = 1; // two formats (0's based)
    n[26] = 1; // the second
    n.writeUInt32LE(9 << 16, 128); // 512 B
    n.writeUInt32LE(12 << 16, 132); // 4096 B, no metadata
    expect(decodeIdentifyNamespace(n)).toEqual({ blocks: 8192, blockBytes: 4096, metadataBytes: 0 });
    const list = Buffer.alloc(4096);
    list.writeUInt32LE(1, 0);
    list.writeUInt32LE(5, 4);
    expect(decodeNamespaceList(list)).toEqual([1, 5]);
  });
});

describe('PduReader', () => {
  /** A stream of every PDU a host receives, and what reading it should give. */
  function stream(): { bytes: Buffer; payload: Buffer } {
    const payload = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 251));
    const c2hPadded = encodeC2HData({ cccid: 2, datao: 0, datal: 200, flags: 0 }, 7); // PDO 32
    const c2hLast = encodeC2HData({ cccid: 2, datao: 200, datal: 100, flags: FLAG.LAST_PDU | FLAG.SUCCESS });
    const term = encodeTermReq({ type: PDU.C2H_TERM_REQ, fes: FES.PDU_SEQUENCE_ERROR, fei: 0, data: Buffer.alloc(24, 1) });
    const bytes = Buffer.concat([
      encodeIcResp({ cpda: 0, headerDigest: false, dataDigest: false, maxh2cdata: 131_072 }),
      encodeCapsuleResp(encodeCqe({ cid: 1 })),
      c2hPadded,
      payload.subarray(0, 200),
      encodeR2t({ cccid: 3, ttag: 1, r2to: 0, r2tl: 8192 }),
      c2hLast,
      payload.subarray(200),
      term,
    ]);
    return { bytes, payload };
  }

  function read(chunks: Buffer[]): { events: string[]; dest: Buffer } {
    const dest = Buffer.alloc(300);
    const events: string[] = [];
    const reader = new PduReader({
      onHeader: (common, header): DataSink => (common.type === PDU.C2H_DATA ? { buffer: dest, offset: decodeDataHeader(header).datao } : 'collect'),
      onPdu: (common, _header, data) => events.push(`${common.type}:${common.plen}:${data?.length ?? 'sink'}`),
    });
    for (const c of chunks) reader.push(c);
    expect(reader.buffered).toBe(0);
    return { events, dest };
  }

  it('gives the same PDUs and lands the data in place however the stream is cut', () => {
    const { bytes, payload } = stream();
    const whole = read([bytes]);
    expect(whole.events).toEqual(['1:128:0', '5:24:0', '7:232:sink', '9:24:0', '7:124:sink', '3:48:24']);
    expect(whole.dest.equals(payload)).toBe(true);
    for (let size = 1; size <= 64; size++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
      const cut = read(chunks);
      expect(cut.events, `chunks of ${size}`).toEqual(whole.events);
      expect(cut.dest.equals(payload), `chunks of ${size}`).toBe(true);
    }
    let seed = 17;
    for (let round = 0; round < 200; round++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; ) {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        const size = 1 + (seed % 97);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      const cut = read(chunks);
      expect(cut.events).toEqual(whole.events);
      expect(cut.dest.equals(payload)).toBe(true);
    }
  });

  it('refuses a header length outside 8..128, a PDU shorter than its header, and data with nowhere to go', () => {
    const reader = () => new PduReader({ onHeader: () => 'collect', onPdu: () => undefined });
    const bad = encodeCapsuleResp(encodeCqe({ cid: 1 }));
    bad[2] = 4;
    expect(() => reader().push(bad)).toThrow(NvmeTcpProtocolError);
    const short = encodeCapsuleResp(encodeCqe({ cid: 1 }));
    short.writeUInt32LE(16, 4);
    try {
      reader().push(short);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(NvmeTcpProtocolError);
      expect((error as NvmeTcpProtocolError).fes).toBe(FES.INVALID_HEADER_FIELD);
      expect((error as NvmeTcpProtocolError).fei).toBe(4);
    }
    const overrun = encodeC2HData({ cccid: 0, datao: 0, datal: 64, flags: 0 });
    const sink = new PduReader({ onHeader: () => ({ buffer: Buffer.alloc(32), offset: 0 }), onPdu: () => undefined });
    expect(() => sink.push(overrun)).toThrow(/overrun the 32-byte destination/);
  });
});
