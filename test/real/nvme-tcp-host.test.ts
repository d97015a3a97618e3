/**
 * The userspace NVMe/TCP host (src/nvme-tcp/) against a real spdk_tgt: a malloc bdev exported in a
 * subsystem that allows only this host, on a 127.0.0.1 listener, the TCP transport made as the
 * service makes it (defaults). Runs when SPDK_TGT names the binary; skipped, saying so, without.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConductorError } from '../../src/errors.js';
import type { DhGroupName } from '../../src/nvme-tcp/auth.js';
import { NvmeTcpHost, type NvmeTcpConnectOptions } from '../../src/nvme-tcp/host.js';
import { SpdkClient } from '../../src/spdk/client.js';
import { portBlock } from '../helpers/ports.js';
import { conductorRefusal } from '../helpers/refusal.js';
import { writeReadCompare, writesWhenKilled } from '../nvme-tcp/io-checks.js';
import { MIB, RealTarget, SPDK_TGT, until } from './helpers/real-node.js';

const HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:5b0c7a52-3c1e-4d7a-9f0e-000000000017';
const OTHER_HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:5b0c7a52-3c1e-4d7a-9f0e-0000000000ff';
const SUBNQN = 'nqn.2024-11.io.spdk-conductor:nvme-tcp-host-test';
const BLOCK = 4096;
const VOLUME = 32 * MIB;
const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../..');

if (!SPDK_TGT) console.log('test/real/nvme-tcp-host: skipped because SPDK_TGT is not set (point it at an spdk_tgt v26.05 binary to run)');

describe.skipIf(!SPDK_TGT)('NVMe/TCP host against a real spdk_tgt', () => {
  let dir: string;
  let target: RealTarget;
  let client: SpdkClient;
  let port: number;
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const open: NvmeTcpHost[] = [];
  const connect = async (options: { hostnqn?: string; subnqn?: string; timeoutMs?: number; queueDepth?: number } = {}) => {
    const host = await NvmeTcpHost.connect({
      address: '127.0.0.1',
      port,
      subnqn: options.subnqn ?? SUBNQN,
      hostnqn: options.hostnqn ?? HOSTNQN,
      log,
      timeoutMs: options.timeoutMs ?? 60_000,
      queueDepth: options.queueDepth,
    });
    open.push(host);
    return host;
  };
  const controllers = () => client.call<{ cntlid: number }[]>('nvmf_subsystem_get_controllers', { nqn: SUBNQN });
  /** Whether spdk_tgt still has the controller of `host`. */
  const connected = async (host: { cntlid: number }) => (await controllers()).some((c) => c.cntlid === host.cntlid);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conductor-nvme-tcp-'));
    target = new RealTarget('nvme-tcp-host', path.join(dir, 'spdk.sock'));
    await target.start();
    client = new SpdkClient({ socketPath: target.socket, logger: pino({ level: 'silent' }) });
    port = portBlock();
    // As the service makes it (domain/node/recovery.ts): the transport's defaults
    await client.call('nvmf_create_transport', { trtype: 'TCP' });
    await client.call('bdev_malloc_create', { name: 'm0', block_size: BLOCK, num_blocks: VOLUME / BLOCK });
    await client.call('nvmf_create_subsystem', { nqn: SUBNQN, allow_any_host: false });
    await client.call('nvmf_subsystem_add_host', { nqn: SUBNQN, host: HOSTNQN });
    await client.call('nvmf_subsystem_add_ns', { nqn: SUBNQN, namespace: { bdev_name: 'm0' } });
    await client.call('nvmf_subsystem_add_listener', { nqn: SUBNQN, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) } });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(open.map((h) => h.close()));
    await client?.close();
    await target?.kill('SIGKILL');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('connects, identifies the namespace, writes patterns of many sizes at queue depth > 1, reads them back and flushes', async () => {
    const host = await connect();
    expect(host.cntlid).toBeGreaterThan(0);
    // The transport's defaults: max_io_size 128 KiB (MDTS 5), in-capsule 4 KiB
    expect(host.maxTransferBytes).toBe(128 * 1024);
    expect(host.inCapsuleBytes).toBe(4096);
    expect(host.queueDepth).toBe(32);
    const ns = await host.namespace();
    expect(ns).toEqual({ nsid: 1, blockBytes: BLOCK, blocks: VOLUME / BLOCK });

    // In-capsule (4 KiB), one R2T (64 KiB), split commands (3 MiB + 4 KiB: R2T per 128 KiB part),
    // and 24 writes of 256 KiB at once: 48 commands for 32 slots
    await writeReadCompare(host, 1, 8 * MIB, 24, 256 * 1024);
    // Never written: the malloc bdev's zeros between the first block and the 64 KiB write
    expect((await host.read(1, BLOCK, 60 * 1024)).equals(Buffer.alloc(60 * 1024))).toBe(true);

    const misaligned = await conductorRefusal(host.write(1, 512, Buffer.alloc(BLOCK)));
    expect(misaligned.code).toBe('INVALID_ARGUMENT');
    const past = await conductorRefusal(host.read(1, VOLUME - BLOCK, 2 * BLOCK));
    expect(past.code).toBe('INVALID_ARGUMENT');
    // Live: the shutdown notification (CC.SHN, CSTS.SHST polled) and both FINs answered
    const started = Date.now();
    await host.close();
    console.log(`close on a live spdk_tgt: ${Date.now() - started} ms`);
    expect(host.released).toBe(true);
    await host.close();
    await until('the controller gone from the subsystem', 30_000, async () => !(await connected(host)));
  }, 180_000);

  it('is refused with the NVMe status decoded for a host the subsystem does not allow, and for a subsystem that does not exist', async () => {
    const refused = await conductorRefusal(connect({ hostnqn: OTHER_HOSTNQN }));
    expect(refused.code).toBe('FAILED_PRECONDITION');
    expect(refused.message).toMatch(/Connect of queue 0 .* failed: invalid host \(SCT 1h, SC 84h/);
    expect(refused.details).toMatchObject({ sct: 1, sc: 0x84 });
    const missing = await conductorRefusal(connect({ subnqn: `${SUBNQN}-missing` }));
    expect(missing.code).toBe('UNAVAILABLE');
    expect(missing.message).toMatch(/invalid parameter/);
    expect(missing.details).toMatchObject({ sct: 1, sc: 0x82, invalidField: 'subnqn' });
  }, 60_000);

  it('fails every command in flight with a reason when closed, and leaves no controller behind', async () => {
    const host = await connect();
    await host.namespace(1);
    const data = crypto.randomBytes(2 * MIB);
    // Stopped, spdk_tgt answers nothing: the writes fill the queue and stay there
    process.kill(target.pid!, 'SIGSTOP');
    let writes: Promise<ConductorError>[];
    try {
      writes = Array.from({ length: 8 }, (_, i) => conductorRefusal(host.write(1, i * 2 * MIB, data)));
      await until('the queue full of writes', 30_000, () => host.inFlight === host.queueDepth);
      // No FIN back on the I/O queue: no shutdown notification, the connections cut (the figure
      // docs/architecture.md quotes; the bound only shows it does not hang)
      const started = Date.now();
      await host.close();
      const ms = Date.now() - started;
      console.log(`close on a SIGSTOPped spdk_tgt with ${host.queueDepth} writes in flight: ${ms} ms`);
      expect(ms).toBeLessThan(15_000);
      expect(host.released).toBe(true);
    } finally {
      process.kill(target.pid!, 'SIGCONT');
    }
    for (const error of await Promise.all(writes)) {
      expect(error.code).toBe('CANCELLED');
      expect(error.message).toMatch(/closed/);
    }
    await expect(host.read(1, 0, BLOCK)).rejects.toMatchObject({ code: 'CANCELLED' });
    await until('the controller gone from the subsystem', 30_000, async () => !(await connected(host)));
  }, 60_000);

  it('keeps its controller across idle time past the keep-alive timeout (Keep Alive every half of it)', async () => {
    const host = await connect();
    expect(host.keepAliveTimeoutMs).toBe(10_000);
    const data = crypto.randomBytes(64 * 1024);
    await host.write(1, 0, data);
    // spdk_tgt's poller checks every KATO (10 s, its min_kato and KAS granularity): two periods idle
    await new Promise((resolve) => setTimeout(resolve, 21_000));
    expect((await host.read(1, 0, data.length)).equals(data)).toBe(true);
    expect(await connected(host)).toBe(true);
    await host.close();
  }, 60_000);

  it('leaves no controller behind when the process of its host is killed', async () => {
    // The built host (npm run build), in a process of its own that connects and idles
    const script = [
      `import { NvmeTcpHost } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/src/nvme-tcp/host.js')).href)};`,
      `const host = await NvmeTcpHost.connect({ address: '127.0.0.1', port: ${port}, subnqn: ${JSON.stringify(SUBNQN)}, hostnqn: ${JSON.stringify(HOSTNQN)} });`,
      'console.log(host.cntlid);',
      'setInterval(() => undefined, 1000);',
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const cntlid = await new Promise<number>((resolve, reject) => {
        let err = '';
        child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
        child.stdout!.once('data', (c: Buffer) => resolve(Number(String(c).trim())));
        child.once('exit', (code) => reject(new Error(`the host process exited ${code}: ${err}`)));
      });
      expect(await connected({ cntlid })).toBe(true);
      child.kill('SIGKILL');
      await until("the killed host's controller gone", 30_000, async () => !(await connected({ cntlid })));
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it('fails a command past its deadline (spdk_tgt stopped), tearing the queue down', async () => {
    const host = await connect({ timeoutMs: 2000 });
    await host.namespace(1);
    process.kill(target.pid!, 'SIGSTOP');
    try {
      const error = await conductorRefusal(host.write(1, 0, crypto.randomBytes(MIB)));
      expect(error.code).toBe('DEADLINE_EXCEEDED');
      expect(error.message).toMatch(/got no answer within 2000 ms/);
      await expect(host.read(1, 0, BLOCK)).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    } finally {
      process.kill(target.pid!, 'SIGCONT');
    }
    await host.close();
    await until('the controller gone from the subsystem', 30_000, async () => !(await connected(host)));
  }, 60_000);

  it('fails writes in flight with UNAVAILABLE, long before their deadline, when spdk_tgt is killed', async () => {
    const host = await connect({ timeoutMs: 120_000 });
    const error = await writesWhenKilled(host, 1, VOLUME, () => target.kill('SIGKILL'));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/closed by the target|lost: ECONNRESET|EPIPE/);
    await host.close();
  }, 180_000);
});

/** A DH-HMAC-CHAP secret as nvme gen-dhchap-key prints it: DHHC-1:<hh>:<base64(key || crc32le)>: */
function dhchapSecret(hh: number, bytes: number): string {
  const key = crypto.randomBytes(bytes);
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(zlib.crc32(key));
  return `DHHC-1:${hh.toString(16).padStart(2, '0')}:${Buffer.concat([key, crc]).toString('base64')}:`;
}

const AUTH_SUBNQN = 'nqn.2024-11.io.spdk-conductor:nvme-tcp-host-auth';
const authHost = (n: number) => `nqn.2014-08.org.nvmexpress:uuid:5b0c7a52-3c1e-4d7a-9f0e-0000000a${n.toString(16).padStart(4, '0')}`;
/** Host NQNs on the subsystem: one-way, bidirectional, no keys at all. */
const ONE_WAY = authHost(1);
const BIDI = authHost(2);
const PLAIN = authHost(3);

/**
 * An spdk_tgt with a malloc namespace in a subsystem whose hosts carry DH-HMAC-CHAP keys from
 * keyring_file (0600 files); `restrict` narrows the target's digests and DH groups
 * (nvmf_set_config dhchap_digests / dhchap_dhgroups, before the framework starts: --wait-for-rpc).
 */
class AuthTarget {
  readonly keys: { oneWay: string; bidi: string; bidiCtrlr: string };

  /** The one-way host's key: hh 03 (SHA-512 transformed), 64 bytes, unless given. */
  constructor(oneWay = dhchapSecret(0x03, 64)) {
    this.keys = { oneWay, bidi: dhchapSecret(0x01, 32), bidiCtrlr: dhchapSecret(0x02, 48) };
  }

  target!: RealTarget;
  client!: SpdkClient;
  port = 0;
  private dir = '';

  async start(name: string, restrict?: { digests?: string[]; dhgroups?: string[] }): Promise<void> {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `conductor-nvme-auth-${name}-`));
    this.target = new RealTarget(name, path.join(this.dir, 'spdk.sock'), restrict ? ['--wait-for-rpc'] : []);
    await this.target.start();
    if (restrict) {
      // Methods of the start-up phase the service never calls (its client has no contract for them)
      await rawCall(this.target.socket, 'nvmf_set_config', {
        ...(restrict.digests ? { dhchap_digests: restrict.digests } : {}),
        ...(restrict.dhgroups ? { dhchap_dhgroups: restrict.dhgroups } : {}),
      });
      await rawCall(this.target.socket, 'framework_start_init');
    }
    this.client = new SpdkClient({ socketPath: this.target.socket, logger: pino({ level: 'silent' }) });
    for (const [keyName, secret] of Object.entries(this.keys)) {
      const file = path.join(this.dir, keyName);
      fs.writeFileSync(file, secret, { mode: 0o600 });
      await this.client.call('keyring_file_add_key', { name: keyName, path: file });
    }
    this.port = portBlock();
    await this.client.call('nvmf_create_transport', { trtype: 'TCP' });
    await this.client.call('bdev_malloc_create', { name: 'm0', block_size: BLOCK, num_blocks: (8 * MIB) / BLOCK });
    await this.client.call('nvmf_create_subsystem', { nqn: AUTH_SUBNQN, allow_any_host: false });
    await this.client.call('nvmf_subsystem_add_host', { nqn: AUTH_SUBNQN, host: ONE_WAY, dhchap_key: 'oneWay' });
    await this.client.call('nvmf_subsystem_add_host', { nqn: AUTH_SUBNQN, host: BIDI, dhchap_key: 'bidi', dhchap_ctrlr_key: 'bidiCtrlr' });
    await this.client.call('nvmf_subsystem_add_host', { nqn: AUTH_SUBNQN, host: PLAIN });
    await this.client.call('nvmf_subsystem_add_ns', { nqn: AUTH_SUBNQN, namespace: { bdev_name: 'm0' } });
    await this.client.call('nvmf_subsystem_add_listener', {
      nqn: AUTH_SUBNQN,
      listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(this.port) },
    });
  }

  connect(hostnqn: string, dhchap?: NvmeTcpConnectOptions['dhchap'], log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })): Promise<NvmeTcpHost> {
    return NvmeTcpHost.connect({ address: '127.0.0.1', port: this.port, subnqn: AUTH_SUBNQN, hostnqn, log, timeoutMs: 60_000, ...(dhchap ? { dhchap } : {}) });
  }

  /**
   * Connects `times` times both ways and closes again; each queue's authentication time (the
   * host's 'queue authenticated' log entry: Negotiate to Success2), sorted, and the DH group used.
   */
  async authTimes(times: number, dhgroups?: readonly DhGroupName[]): Promise<{ ms: number[]; dhgroup: string | undefined }> {
    const ms: number[] = [];
    let dhgroup: string | undefined;
    for (let i = 0; i < times; i++) {
      const entries: { msg?: string; ms?: number }[] = [];
      const log = pino({ level: 'debug' }, { write: (line: string) => void entries.push(JSON.parse(line) as { msg?: string; ms?: number }) });
      const host = await this.connect(BIDI, { key: this.keys.bidi, ctrlrKey: this.keys.bidiCtrlr, ...(dhgroups ? { dhgroups } : {}) }, log);
      dhgroup = host.authentication?.dhgroup;
      await host.close();
      ms.push(...entries.filter((e) => e.msg === 'NVMe/TCP queue authenticated (DH-HMAC-CHAP)').map((e) => e.ms!));
    }
    return { ms: ms.sort((a, b) => a - b), dhgroup };
  }

  /** The subsystem's qpairs' auth as spdk_tgt reports it. */
  async qpairAuth(): Promise<unknown[]> {
    const qpairs = await this.client.call<{ cntlid: number; qid: number; auth?: unknown }[]>('nvmf_subsystem_get_qpairs', { nqn: AUTH_SUBNQN });
    return qpairs.map((q) => ({ qid: q.qid, auth: q.auth }));
  }

  async controllers(): Promise<number> {
    return (await this.client.call<unknown[]>('nvmf_subsystem_get_controllers', { nqn: AUTH_SUBNQN })).length;
  }

  async close(): Promise<void> {
    await this.client?.close();
    await this.target?.kill('SIGKILL');
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One JSON-RPC call on its own connection; throws on an error response. */
function rawCall(socket: string, method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = net.createConnection(socket);
    let text = '';
    conn.on('error', reject);
    conn.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (!text.includes('\n')) return;
      conn.destroy();
      const response = JSON.parse(text) as { result?: unknown; error?: { code: number; message: string } };
      if (response.error) reject(new Error(`${method}: ${response.error.code} ${response.error.message}`));
      else resolve(response.result);
    });
    conn.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method, ...(params ? { params } : {}) }));
  });
}

/** Writes and reads back 1 MiB and a 4 KiB block through `host`. */
async function ioWorks(host: NvmeTcpHost): Promise<void> {
  const ns = await host.namespace();
  expect(ns.blockBytes).toBe(BLOCK);
  const data = crypto.randomBytes(MIB);
  await host.write(ns.nsid, 0, data);
  expect((await host.read(ns.nsid, 0, data.length)).equals(data)).toBe(true);
  const block = crypto.randomBytes(BLOCK);
  await host.write(ns.nsid, 2 * MIB, block);
  expect((await host.read(ns.nsid, 2 * MIB, BLOCK)).equals(block)).toBe(true);
}

describe.skipIf(!SPDK_TGT)('NVMe/TCP host with DH-HMAC-CHAP against a real spdk_tgt', () => {
  const t = new AuthTarget();

  beforeAll(() => t.start('nvme-tcp-auth'), 120_000);
  afterAll(() => t.close());

  it('authenticates one way (the target picks sha512 of the three hashes and ffdhe8192 of the six groups offered) on both queues, and reads and writes', async () => {
    const host = await t.connect(ONE_WAY, { key: t.keys.oneWay });
    try {
      expect(host.authentication).toEqual({ digest: 'sha512', dhgroup: 'ffdhe8192', bidirectional: false });
      expect(await t.qpairAuth()).toEqual([
        { qid: 0, auth: { state: 'completed', digest: 'sha512', dhgroup: 'ffdhe8192' } },
        { qid: 1, auth: { state: 'completed', digest: 'sha512', dhgroup: 'ffdhe8192' } },
      ]);
      await ioWorks(host);
    } finally {
      await host.close();
    }
    await until('the controller gone', 30_000, async () => (await t.controllers()) === 0);
  }, 60_000);

  it('authenticates both ways (the controller proves its key), and reads and writes', async () => {
    const host = await t.connect(BIDI, { key: t.keys.bidi, ctrlrKey: t.keys.bidiCtrlr });
    try {
      expect(host.authentication).toEqual({ digest: 'sha512', dhgroup: 'ffdhe8192', bidirectional: true });
      await ioWorks(host);
    } finally {
      await host.close();
    }
  }, 60_000);

  it('authenticates with the NULL group when the host offers only it (no Diffie-Hellman), both ways', async () => {
    const host = await t.connect(BIDI, { key: t.keys.bidi, ctrlrKey: t.keys.bidiCtrlr, dhgroups: ['null'] });
    try {
      expect(host.authentication).toEqual({ digest: 'sha512', dhgroup: 'null', bidirectional: true });
      expect(await t.qpairAuth()).toContainEqual({ qid: 1, auth: { state: 'completed', digest: 'sha512', dhgroup: 'null' } });
      await ioWorks(host);
    } finally {
      await host.close();
    }
    const times = await t.authTimes(5, ['null']);
    expect(times.dhgroup).toBe('null');
    console.log(`real spdk_tgt, null, sha512 both ways: ms per queue authentication (10, sorted): ${times.ms.join(' ')}`);
  }, 60_000);

  it('connects with keys the controller does not ask for (a host without keys on the subsystem)', async () => {
    const host = await t.connect(PLAIN, { key: t.keys.oneWay });
    try {
      expect(host.authentication).toBeUndefined();
      await ioWorks(host);
    } finally {
      await host.close();
    }
  }, 60_000);

  it('refuses a wrong host key with NVME_AUTH_FAILED from AUTH_Failure1, and leaves no controller', async () => {
    const refused = await conductorRefusal(t.connect(ONE_WAY, { key: dhchapSecret(0x03, 64) }));
    expect(refused.code).toBe('NVME_AUTH_FAILED');
    expect(refused.message).toMatch(/DH-HMAC-CHAP on queue 0 .* refused with AUTH_Failure1: authentication failed \(RC 1, RCE 1\)/);
    expect(refused.details).toMatchObject({ qid: 0, rc: 1, rce: 1, step: 'DH-HMAC-CHAP_Success1' });
    await until('no controller', 30_000, async () => (await t.controllers()) === 0);
  }, 60_000);

  it('refuses a key given to the bidirectional host with a wrong controller key: the host finds the response does not verify', async () => {
    const refused = await conductorRefusal(t.connect(BIDI, { key: t.keys.bidi, ctrlrKey: dhchapSecret(0x02, 48) }));
    expect(refused.code).toBe('NVME_AUTH_FAILED');
    expect(refused.message).toMatch(/controller's response .* does not verify/);
    expect(refused.message).toMatch(/sent AUTH_Failure2: authentication failed/);
    await until('no controller', 30_000, async () => (await t.controllers()) === 0);
  }, 60_000);

  it('is refused when it asks the controller to authenticate and the subsystem has no controller key for the host', async () => {
    const refused = await conductorRefusal(t.connect(ONE_WAY, { key: t.keys.oneWay, ctrlrKey: t.keys.bidiCtrlr }));
    expect(refused.code).toBe('NVME_AUTH_FAILED');
    expect(refused.details).toMatchObject({ rce: 1 });
  }, 60_000);

  it('fails with FAILED_PRECONDITION when the controller asks for authentication and no key is given', async () => {
    const refused = await conductorRefusal(t.connect(ONE_WAY));
    expect(refused.code).toBe('FAILED_PRECONDITION');
    expect(refused.message).toMatch(/Connect of queue 0 .* asks for authentication; no DH-HMAC-CHAP key given/);
    await until('no controller', 30_000, async () => (await t.controllers()) === 0);
  }, 60_000);

  it('refuses a malformed secret before connecting, without quoting it', async () => {
    const secret = t.keys.oneWay.replace('DHHC-1:03:', 'DHHC-1:07:');
    const refused = await conductorRefusal(t.connect(ONE_WAY, { key: secret }));
    expect(refused.code).toBe('INVALID_SECRET');
    expect(refused.message).not.toContain(secret.split(':')[2]!.slice(0, 16));
  });
});

for (const digest of ['sha256', 'sha384'] as const) {
  describe.skipIf(!SPDK_TGT)(`NVMe/TCP host with DH-HMAC-CHAP ${digest} (spdk_tgt allows only it)`, () => {
    // hh 00 (a key used untransformed) of 32 bytes here
    const t = new AuthTarget(dhchapSecret(0x00, 32));

    beforeAll(() => t.start(`nvme-tcp-auth-${digest}`, { digests: [digest] }), 120_000);
    afterAll(() => t.close());

    it(`authenticates one way and both ways with ${digest}`, async () => {
      const one = await t.connect(ONE_WAY, { key: t.keys.oneWay });
      try {
        expect(one.authentication).toEqual({ digest, dhgroup: 'ffdhe8192', bidirectional: false });
        await ioWorks(one);
      } finally {
        await one.close();
      }
      const both = await t.connect(BIDI, { key: t.keys.bidi, ctrlrKey: t.keys.bidiCtrlr });
      try {
        expect(both.authentication).toEqual({ digest, dhgroup: 'ffdhe8192', bidirectional: true });
        expect(await t.qpairAuth()).toContainEqual({ qid: 1, auth: { state: 'completed', digest, dhgroup: 'ffdhe8192' } });
        await ioWorks(both);
      } finally {
        await both.close();
      }
    }, 60_000);
  });
}

for (const dhgroup of ['ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192'] as const) {
  describe.skipIf(!SPDK_TGT)(`NVMe/TCP host with DH-HMAC-CHAP ${dhgroup} (spdk_tgt allows only it)`, () => {
    const t = new AuthTarget();

    beforeAll(() => t.start(`nvme-tcp-auth-${dhgroup}`, { dhgroups: [dhgroup] }), 120_000);
    afterAll(() => t.close());

    it(`authenticates one way and both ways with ${dhgroup} on both queues (spdk_tgt reports it), reads and writes; times the authentication`, async () => {
      const one = await t.connect(ONE_WAY, { key: t.keys.oneWay });
      try {
        expect(one.authentication).toEqual({ digest: 'sha512', dhgroup, bidirectional: false });
        expect(await t.qpairAuth()).toEqual([
          { qid: 0, auth: { state: 'completed', digest: 'sha512', dhgroup } },
          { qid: 1, auth: { state: 'completed', digest: 'sha512', dhgroup } },
        ]);
        await ioWorks(one);
      } finally {
        await one.close();
      }
      const both = await t.connect(BIDI, { key: t.keys.bidi, ctrlrKey: t.keys.bidiCtrlr });
      try {
        expect(both.authentication).toEqual({ digest: 'sha512', dhgroup, bidirectional: true });
        expect(await t.qpairAuth()).toContainEqual({ qid: 1, auth: { state: 'completed', digest: 'sha512', dhgroup } });
        await ioWorks(both);
      } finally {
        await both.close();
      }
      const times = await t.authTimes(5);
      expect(times.dhgroup).toBe(dhgroup);
      console.log(`real spdk_tgt, ${dhgroup}, sha512 both ways: ms per queue authentication (10, sorted): ${times.ms.join(' ')}`);
    }, 120_000);

    it(`refuses a wrong host key (AUTH_Failure1) and a wrong controller key (R2 does not verify) under ${dhgroup}`, async () => {
      const wrong = await conductorRefusal(t.connect(ONE_WAY, { key: dhchapSecret(0x03, 64) }));
      expect(wrong.code).toBe('NVME_AUTH_FAILED');
      expect(wrong.details).toMatchObject({ qid: 0, rc: 1, rce: 1, step: 'DH-HMAC-CHAP_Success1' });
      const impostor = await conductorRefusal(t.connect(BIDI, { key: t.keys.bidi, ctrlrKey: dhchapSecret(0x02, 48) }));
      expect(impostor.code).toBe('NVME_AUTH_FAILED');
      expect(impostor.message).toMatch(/does not verify/);
      await until('no controller', 30_000, async () => (await t.controllers()) === 0);
    }, 60_000);

    it('is refused with DH group not usable when the host offers only the NULL group', async () => {
      const refused = await conductorRefusal(t.connect(ONE_WAY, { key: t.keys.oneWay, dhgroups: ['null'] }));
      expect(refused.code).toBe('NVME_AUTH_FAILED');
      expect(refused.message).toMatch(/DH group not usable \(RC 1, RCE 5\): the target allows none of the DH groups offered \(null\)/);
      expect(refused.details).toMatchObject({ qid: 0, rce: 5, step: 'DH-HMAC-CHAP_Challenge' });
    }, 60_000);
  });
}
