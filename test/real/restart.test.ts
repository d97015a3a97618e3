/**
 * The restart flow against a real spdk_tgt (SPDK_TGT names its binary; skipped, saying so, when it
 * is not set): the service over one target with a disk, exported replicas with labelled snapshots
 * and host allow-lists; kill -9 of the target and a new one on the same socket and aio file
 * (../shared/spdk/README.md, file 17: the lvstore and lvols come back when the aio bdev is made
 * again). Readiness goes NOT_SERVING with a reason and views say stale, then everything is back
 * with the same NQNs, ports, hosts, labels and creation times. Data is written and read over
 * NVMe/TCP loopback by spdk_dd when it is beside the binary (as file 17 did: a third process
 * attached over NVMe/TCP); without it the data check is skipped, saying so (a real target has no
 * checksum RPC).
 *
 * Started as test/real/helpers/real-node.ts starts targets (--no-huge -s 1024 without free hugepages; run as
 * root or with enough memlock).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { ReplicaInfo } from '../../src/domain/model.js';
import { startService, type ServiceHandle } from '../../src/service.js';
import { portBlock } from '../helpers/ports.js';
import { commonArgs } from './helpers/real-node.js';

const SPDK_TGT = process.env.SPDK_TGT;
const SPDK_DD = SPDK_TGT ? path.join(path.dirname(SPDK_TGT), 'spdk_dd') : '';
const HAS_DD = SPDK_TGT !== undefined && fs.existsSync(SPDK_DD);
const MIB = 1024 * 1024;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:7f3e0c1a-0000-4000-8000-0000000000d1';
const REPLICAS = 20;
const CYCLES = 3;
const BACK_MS = 60_000;
/** Replicas whose data spdk_dd writes and reads back over NVMe/TCP. */
const WRITTEN = ['rr0', 'rr1'];

if (!SPDK_TGT) console.log('test/real/restart: skipped because SPDK_TGT is not set (point it at an spdk_tgt v26.05 binary to run)');
else if (!HAS_DD) console.log(`test/real/restart: ${SPDK_DD} not found: data is not checked, only what the service shows`);

async function until<T>(what: string, deadlineMs: number, probe: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(!SPDK_TGT)('restarts of a real spdk_tgt (SPDK_TGT)', () => {
  let dir: string;
  let socket: string;
  let tgt: ChildProcess;
  let stderr = '';
  let service: ServiceHandle;
  const md5s = new Map<string, string>();

  async function startTarget(): Promise<void> {
    // A kill -9 leaves the socket file: the new target must not find it in the way.
    fs.rmSync(socket, { force: true });
    stderr = '';
    tgt = spawn(SPDK_TGT!, ['-r', socket, ...commonArgs()], { stdio: ['ignore', 'ignore', 'pipe'] });
    tgt.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-65536)));
    await until(`spdk_tgt's socket ${socket}`, BACK_MS, () => {
      if (tgt.exitCode !== null) throw new Error(`spdk_tgt exited ${tgt.exitCode}: ${stderr}`);
      return fs.existsSync(socket);
    });
  }

  async function killTarget(): Promise<void> {
    const exited = new Promise((resolve) => tgt.once('exit', resolve));
    tgt.kill('SIGKILL');
    await exited;
  }

  /** spdk_dd as an NVMe/TCP host of the replica's export (allowed as HOST): `--if file --ob bdev`, or the reverse. */
  function dd(replica: ReplicaInfo, io: { write: string } | { read: string }, bytes: number): void {
    const exported = replica.export!;
    const conf = path.join(dir, `dd-${replica.name}.json`);
    const attach = { name: 'h', trtype: 'tcp', adrfam: 'ipv4', traddr: exported.address, trsvcid: String(exported.port), subnqn: exported.nqn, hostnqn: HOST };
    fs.writeFileSync(conf, JSON.stringify({ subsystems: [{ subsystem: 'bdev', config: [{ method: 'bdev_nvme_attach_controller', params: attach }] }] }));
    const files = 'write' in io ? ['--if', io.write, '--ob', 'hn1'] : ['--ib', 'hn1', '--of', io.read];
    // Its own core and memory: it runs beside the target (file 17's recordings did the same).
    const run = spawnSync(SPDK_DD, [...files, '--bs', '4096', '--count', String(bytes / 4096), '--json', conf, '--no-huge', '-s', '512', '-m', '0x2'], { encoding: 'utf8', timeout: 120_000 });
    if (run.status !== 0) throw new Error(`spdk_dd ${files.join(' ')} failed (${run.status ?? run.signal}): ${run.stderr}${run.stdout}`);
  }

  function md5(file: string): string {
    return createHash('md5').update(fs.readFileSync(file)).digest('hex');
  }

  async function picture(): Promise<string[]> {
    const node = service.domain;
    const replicas = await node.replicaList(undefined);
    const out: string[] = [];
    for (const r of replicas.sort((a, b) => a.name.localeCompare(b.name))) {
      const snapshots = (await node.snapshotList(r.name)).map((s) => ({ name: s.name, labels: s.labels, createdAt: s.createdAt.toISOString() }));
      out.push(JSON.stringify({ name: r.name, size: r.sizeBytes, nqn: r.export?.nqn, address: r.export?.address, port: r.export?.port, hosts: r.export?.hostNqns, snapshots }));
    }
    return out;
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conductor-real-restart-'));
    socket = path.join(dir, 'spdk.sock');
    await startTarget();
    const ports = portBlock();
    const config = loadConfig({
      env: {
        CONDUCTOR_SPDK_SOCKET: socket,
        CONDUCTOR_API_SOCKET: path.join(dir, 'api.sock'),
        CONDUCTOR_API_TCP: 'off',
        CONDUCTOR_STATE_FILE: path.join(dir, 'state.json'),
        CONDUCTOR_EXPORT_ADDRESS: '127.0.0.1',
        CONDUCTOR_EXPORT_PORT_MIN: String(ports),
        CONDUCTOR_EXPORT_PORT_MAX: String(ports + 99),
        CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '500',
      },
    });
    service = await startService(config, { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), sysfsRoot: dir });
    if (!(await service.recovered)) throw new Error(`recovery did not finish: ${service.readiness().reason}`);
    const file = path.join(dir, 'disk.img');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 512 * MIB);
    const node = service.domain;
    await node.diskCreate({ name: 'rd', path: file });
    for (let i = 0; i < REPLICAS; i++) {
      const name = `rr${i}`;
      await node.replicaCreate(name, 'rd', 16 * MIB, undefined, i % 2 === 0 ? [HOST] : [HOST, 'nqn.2014-08.org.nvmexpress:uuid:7f3e0c1a-0000-4000-8000-0000000000d2']);
      await node.snapshotCreate({ replicaName: name, name: 'daily', labels: { app: 'real-restart', replica: name } });
    }
    if (HAS_DD) {
      for (const name of WRITTEN) {
        const input = path.join(dir, `${name}.in`);
        fs.writeFileSync(input, randomBytes(4 * MIB));
        dd(await node.replicaGet(name), { write: input }, 4 * MIB);
        md5s.set(name, md5(input));
      }
    }
  }, 300_000);

  afterAll(async () => {
    await service?.close();
    if (tgt && tgt.exitCode === null) await killTarget();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`comes back after ${CYCLES} kill -9 of spdk_tgt: same exports, snapshots, labels and data; NOT_SERVING and stale meanwhile`, async () => {
    const before = await picture();
    expect(before).toHaveLength(REPLICAS);
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      await killTarget();
      const down = await until('readiness NOT_SERVING', BACK_MS, () => {
        const now = service.readiness();
        return !now.ready && now;
      });
      expect(down.reason).not.toBe('');
      expect(await until('views said stale', BACK_MS, () => service.domain.viewStale())).toMatch(/spdk_tgt/);
      await startTarget();
      if (cycle === 2) {
        // Killed again while the reconcile runs: the next target must be brought back all the same.
        await until('the reconcile under way', BACK_MS, () => service.domain.reconcileStatus().phase === 'reconciling' || service.readiness().ready);
        await killTarget();
        await startTarget();
      }
      await until(`readiness SERVING after cycle ${cycle}`, BACK_MS, () => service.readiness().ready);
      expect(service.domain.viewStale()).toBeUndefined();
      expect(await picture()).toEqual(before);
      for (const name of HAS_DD ? WRITTEN : []) {
        const out = path.join(dir, `${name}.out.${cycle}`);
        dd(await service.domain.replicaGet(name), { read: out }, 4 * MIB);
        expect(md5(out), `data of ${name} after cycle ${cycle}`).toBe(md5s.get(name));
      }
    }
  }, 900_000);
});
