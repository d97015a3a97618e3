/**
 * The NVMe/TCP host against scripted misbehaving targets (real sockets on 127.0.0.1): nothing
 * listening, a target that never answers, an abort, an ICResp it must refuse, a PDU it does not
 * know (answered with an H2CTermReq carrying the offending header), and a C2HTermReq. Each ends
 * with a ConductorError saying why and no socket left open.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NvmeTcpHost } from '../../src/nvme-tcp/host.js';
import { decodeCapsuleCmd, encodeIcResp, encodeTermReq, FES, PDU } from '../../src/nvme-tcp/pdu.js';
import { conductorRefusal } from '../helpers/refusal.js';
import { until } from '../helpers/until.js';

const SUBNQN = 'nqn.2024-11.io.spdk-conductor:faults';
const HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:5b0c7a52-3c1e-4d7a-9f0e-00000000fa17';
const GOOD_ICRESP = encodeIcResp({ cpda: 0, headerDigest: false, dataDigest: false, maxh2cdata: 131_072 });

interface Scripted {
  port: number;
  /** Every byte each connection sent, by connection. */
  received: Buffer[][];
  open(): number;
  close(): Promise<void>;
}

/** A target that runs `onData` on what each connection has sent so far. */
async function scripted(onData: (socket: net.Socket, bytes: Buffer) => void): Promise<Scripted> {
  const sockets = new Set<net.Socket>();
  const received: Buffer[][] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const mine: Buffer[] = [];
    received.push(mine);
    socket.on('data', (chunk: Buffer) => {
      mine.push(chunk);
      onData(socket, Buffer.concat(mine));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    open: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const targets: Scripted[] = [];
afterEach(async () => {
  for (const t of targets.splice(0)) await t.close();
});

async function target(onData: (socket: net.Socket, bytes: Buffer) => void): Promise<Scripted> {
  const t = await scripted(onData);
  targets.push(t);
  return t;
}

const connect = (port: number, extra: { timeoutMs?: number; signal?: AbortSignal } = {}) => NvmeTcpHost.connect({ address: '127.0.0.1', port, subnqn: SUBNQN, hostnqn: HOSTNQN, ...extra });

describe('NVMe/TCP host faults', () => {
  it('UNAVAILABLE when nothing listens', async () => {
    const t = await target(() => undefined);
    const port = t.port;
    await t.close();
    targets.length = 0;
    const error = await conductorRefusal(connect(port));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(new RegExp(`cannot connect to 127.0.0.1:${port} .*ECONNREFUSED`));
  });

  it('DEADLINE_EXCEEDED when the target never answers the ICReq, and its connection is closed', async () => {
    const t = await target(() => undefined);
    const error = await conductorRefusal(connect(t.port, { timeoutMs: 300 }));
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(error.message).toMatch(/did not finish within 300 ms/);
    await until('the connection closed', () => t.open() === 0, 10_000);
  });

  it('CANCELLED when the caller aborts the connect', async () => {
    const t = await target(() => undefined);
    const controller = new AbortController();
    const pending = conductorRefusal(connect(t.port, { signal: controller.signal }));
    await until('the ICReq sent', () => t.received[0]?.length, 10_000);
    controller.abort(new Error('the restore was cancelled'));
    const error = await pending;
    expect(error.code).toBe('CANCELLED');
    expect(error.message).toMatch(/the restore was cancelled/);
    await until('the connection closed', () => t.open() === 0, 10_000);
  });

  it('refuses an ICResp that turns on digests it did not ask for', async () => {
    const t = await target((socket, bytes) => {
      if (bytes.length === 128) socket.write(encodeIcResp({ cpda: 0, headerDigest: true, dataDigest: false, maxh2cdata: 131_072 }));
    });
    const error = await conductorRefusal(connect(t.port));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toMatch(/digests this host did not ask for/);
  });

  it('pads in-capsule data to the CPDA the ICResp gives', async () => {
    let capsule: Buffer | undefined;
    const t = await target((socket, bytes) => {
      if (bytes.length === 128) socket.write(encodeIcResp({ cpda: 3, headerDigest: false, dataDigest: false, maxh2cdata: 131_072 }));
      // 16-byte alignment: PDO 80, 8 bytes of padding after the SQE, then the 1024 bytes of connect data
      if (bytes.length === 128 + 80 + 1024) {
        capsule = bytes.subarray(128);
        socket.destroy();
      }
    });
    const error = await conductorRefusal(connect(t.port));
    expect(error.code).toBe('UNAVAILABLE');
    expect([capsule![0], capsule![2], capsule![3]]).toEqual([PDU.CAPSULE_CMD, 72, 80]);
    expect(capsule!.readUInt32LE(4)).toBe(80 + 1024);
    expect(capsule!.subarray(72, 80).equals(Buffer.alloc(8))).toBe(true);
    expect(decodeCapsuleCmd(capsule!).data.toString('utf8', 256, 256 + SUBNQN.length)).toBe(SUBNQN);
  });

  it('answers a PDU it does not know with an H2CTermReq carrying that PDU header, and fails', async () => {
    const unknown = Buffer.alloc(24);
    unknown[0] = 0x0a;
    unknown[2] = 24;
    unknown.writeUInt32LE(24, 4);
    const t = await target((socket, bytes) => {
      if (bytes.length === 128) socket.write(GOOD_ICRESP);
      // The Connect capsule (72-byte header + 1024 bytes of data) has arrived: answer nonsense
      if (bytes.length === 128 + 72 + 1024) socket.write(unknown);
    });
    const error = await conductorRefusal(connect(t.port));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toMatch(/protocol error from the target: unexpected PDU type 10 .*sent H2CTermReq: invalid header field/);
    await until('the H2CTermReq', () => Buffer.concat(t.received[0] ?? []).length >= 128 + 1096 + 48, 10_000);
    const sent = Buffer.concat(t.received[0]!);
    const connectPdu = sent.subarray(128, 128 + 1096);
    expect(decodeCapsuleCmd(connectPdu).data.length).toBe(1024);
    const term = sent.subarray(128 + 1096);
    expect([term[0], term[2]]).toEqual([PDU.H2C_TERM_REQ, 24]);
    expect(term.readUInt32LE(4)).toBe(48);
    expect(term.readUInt16LE(8)).toBe(FES.INVALID_HEADER_FIELD);
    expect(term.subarray(24, 48).equals(unknown)).toBe(true);
  });

  it('fails with the reason a C2HTermReq gives', async () => {
    const t = await target((socket, bytes) => {
      if (bytes.length === 128) socket.write(GOOD_ICRESP);
      if (bytes.length === 128 + 72 + 1024) socket.write(encodeTermReq({ type: PDU.C2H_TERM_REQ, fes: FES.PDU_SEQUENCE_ERROR, fei: 0, data: bytes.subarray(128, 200) }));
    });
    const error = await conductorRefusal(connect(t.port));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/C2HTermReq: PDU sequence error/);
    expect(error.details).toMatchObject({ fes: FES.PDU_SEQUENCE_ERROR });
  });
});
