/**
 * The userspace NVMe/TCP host (src/nvme-tcp/) against a real spdk_tgt: a malloc bdev exported in a
 * subsystem that allows only this host, on a 127.0.0.1 listener, the TCP transport made as the
 * service makes it (defaults). Runs when SPDK_TGT names the binary; skipped, saying so, without.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConductorError } from '../../src/errors.js';
import { NvmeTcpHost } from '../../src/nvme-tcp/host.js';
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
    await host.close();
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
      await host.close();
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
