/**
 * NVMe-oF in-band authentication end to end (issue 11, item 2): two nodes, each the service (as
 * serve starts it, its real logger capturing every line at debug level) over a simulator process
 * that keeps a keyring and checks DH-HMAC-CHAP and TLS PSK as transcript 18 recorded spdk_tgt
 * v26.05. Requests go through the gRPC API on the nodes' Unix sockets, secrets generated per run.
 *
 * With SPDK_TGT naming an spdk_tgt v26.05 binary, each node runs over a real spdk_tgt instead
 * (started with --no-huge, as test/real does) and the same cases must hold; without it they run
 * over the simulator, which is the default and what CI has.
 *
 * The replica node R exports replicas with one-way and bidirectional DH-HMAC-CHAP and with TLS;
 * the engine node E attaches them with the right keys, and is refused with a stable code for a
 * wrong key and with a clear reason for none. Key files are 0600 in a 0700 directory, leave disk
 * and keyring with their last user, and no secret is ever in a log line, response or error.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { ServiceError } from '@grpc/grpc-js';
import { execa } from 'execa';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, invoke, type ApiClients } from '../../src/api/client.js';
import { ERROR_CODE_TRAILER } from '../../src/api/status.js';
import { loadConfig } from '../../src/config/load.js';
import { keyName } from '../../src/domain/node/naming.js';
import { createLogger } from '../../src/log.js';
import { startService, type ServiceHandle } from '../../src/service.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';
import { dhchapKey, tlsPsk } from '../sim/helpers/key-files.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { startSim } from '../sim/helpers/start-sim.js';

const ENGINE_HOST = 'nqn.2024-11.io.spdk-conductor:engine:auth-test-engine';
const OTHER_HOST = 'nqn.2014-08.org.nvmexpress:uuid:7d2f1c4a-0000-4000-8000-00000000a11a';
const MIB = 1024 * 1024;
const SPDK_TGT = process.env.SPDK_TGT;
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

interface Target {
  socket: string;
  stop(): Promise<void>;
}

/** A real spdk_tgt when SPDK_TGT is set, else the simulator. */
async function startTarget(name: string, socket: string): Promise<Target> {
  if (!SPDK_TGT) return startSim({ name, socket });
  const tgt = spawn(SPDK_TGT, ['--no-huge', '-s', '1024', '-r', socket, '-m', '0x1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  tgt.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => tgt.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(socket)) {
    if (tgt.exitCode !== null) throw new Error(`spdk_tgt exited ${tgt.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`spdk_tgt did not open ${socket}: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    socket,
    async stop() {
      if (tgt.exitCode !== null) return;
      tgt.kill('SIGTERM');
      const killer = setTimeout(() => tgt.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** A node: spdk_tgt (or the simulator) and the service on it, in this process, its log lines kept. */
interface Node {
  sim: Target;
  rpc: SimClient;
  service: ServiceHandle;
  api: ApiClients;
  dir: string;
  keysDir: string;
  logs: string[];
  /** Stops the service and starts it again on the same simulator and state file. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function startNode(name: string, env: Record<string, string> = {}): Promise<Node> {
  const dir = tempDir(`nvme-auth-${name}-`);
  const sim = await startTarget(name, path.join(dir, 'spdk.sock'));
  const portMin = portBlock();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const config = loadConfig({
    env: {
      CONDUCTOR_SPDK_SOCKET: sim.socket,
      CONDUCTOR_API_SOCKET: path.join(dir, 'api.sock'),
      CONDUCTOR_API_TCP: 'off',
      CONDUCTOR_STATE_FILE: path.join(dir, 'state', 'state.json'),
      CONDUCTOR_EXPORT_PORT_MIN: String(portMin),
      CONDUCTOR_EXPORT_PORT_MAX: String(portMin + 99),
      ...env,
    },
  });
  const serve = async (): Promise<ServiceHandle> => {
    const service = await startService(config, { logger: createLogger({ level: 'debug', destination: sink }), sysfsRoot: dir, api: { shutdownGraceMs: 100 } });
    if (!(await service.recovered)) throw new Error(`node ${name} did not recover: ${service.readiness().reason}`);
    return service;
  };
  const rpc = await SimClient.connect(sim.socket);
  const node: Node = {
    sim,
    rpc,
    service: await serve(),
    api: createApiClients({ unixSocket: path.join(dir, 'api.sock') }),
    dir,
    keysDir: path.join(dir, 'state', 'keys'),
    logs,
    async restart() {
      node.api.close();
      await node.service.close();
      node.service = await serve();
      node.api = createApiClients({ unixSocket: path.join(dir, 'api.sock') });
    },
    async close() {
      node.api.close();
      rpc.close();
      await node.service.close();
      await sim.stop();
    },
  };
  return node;
}

interface KeyringEntry {
  name: string;
  removed: boolean;
  path: string;
}

async function keyring(node: Node): Promise<KeyringEntry[]> {
  return (await node.rpc.request('keyring_get_keys')).result as KeyringEntry[];
}

function keyFiles(node: Node): string[] {
  return fs.existsSync(node.keysDir) ? fs.readdirSync(node.keysDir).sort() : [];
}

function mode(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

/** The call's failure: gRPC status, the stable code from the trailer, the message. */
async function refusal(call: Promise<unknown>): Promise<{ status: number; code: string; details: string }> {
  const error = (await call.then(
    () => undefined,
    (e: unknown) => e,
  )) as ServiceError | undefined;
  expect(error, 'the call should have been refused').toBeDefined();
  return { status: error!.code, code: String(error!.metadata.get(ERROR_CODE_TRAILER)[0] ?? ''), details: error!.details };
}

async function until(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const secrets = {
  oneWay: dhchapKey(32, 1),
  hostKey: dhchapKey(48, 0),
  ctrlrKey: dhchapKey(64, 3),
  psk: tlsPsk(),
  wrong: dhchapKey(48, 0),
  other: dhchapKey(48, 2),
};

let r: Node;
let e: Node;

beforeAll(async () => {
  [r, e] = await Promise.all([startNode('r'), startNode('e', { CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST })]);
  // Under the state directory: disk paths must lie under an allowed prefix (disk.allowedPrefixes).
  const disk = path.join(r.dir, 'state', 'd.img');
  fs.writeFileSync(disk, '');
  fs.truncateSync(disk, 256 * MIB);
  await invoke(r.api.disks, 'DiskCreate', { name: 'd', path: disk });
}, 60_000);

afterAll(async () => {
  await Promise.all([r?.close(), e?.close()]);
});

const remote = (replica: string, port: number, keys: { dhchapKey?: string; dhchapCtrlrKey?: string; psk?: string } = {}) => ({
  remote: { name: replica, address: '127.0.0.1', port, nqn: `nqn.2024-11.io.spdk-conductor:replica:${replica}`, ...keys },
});

describe('exports that require authentication', () => {
  it('exposes with one-way and bidirectional DH-HMAC-CHAP, says so per host, and never returns a key', async () => {
    const replica = await invoke(r.api.replicas, 'ReplicaCreate', {
      name: 'chap',
      diskName: 'd',
      sizeBytes: 16 * MIB,
      hosts: [
        { nqn: ENGINE_HOST, dhchapKey: secrets.hostKey, dhchapCtrlrKey: secrets.ctrlrKey },
        { nqn: OTHER_HOST, dhchapKey: secrets.oneWay },
      ],
    });
    const auth = new Map(replica.export!.hostAuth.map((h) => [h.nqn, h]));
    expect(auth.get(ENGINE_HOST)).toMatchObject({ dhchap: true, dhchapBidirectional: true, tls: false });
    expect(auth.get(OTHER_HOST)).toMatchObject({ dhchap: true, dhchapBidirectional: false, tls: false });
    expect(replica.export!.secureChannel).toBe(false);
    expect(replica.export!.hostNqns.sort()).toEqual([ENGINE_HOST, OTHER_HOST].sort());

    // spdk_tgt holds the hosts with key names derived from the secrets, never the secrets.
    const [subsystem] = (await r.rpc.request('nvmf_get_subsystems', { nqn: replica.export!.nqn })).result as Array<{ hosts: Array<{ nqn: string; dhchap_key?: string; dhchap_ctrlr_key?: string }> }>;
    const hosts = new Map(subsystem!.hosts.map((h) => [h.nqn, h]));
    expect(hosts.get(ENGINE_HOST)).toMatchObject({ dhchap_key: keyName(secrets.hostKey), dhchap_ctrlr_key: keyName(secrets.ctrlrKey) });
    expect(hosts.get(OTHER_HOST)).toMatchObject({ dhchap_key: keyName(secrets.oneWay) });

    // One 0600 file per key in a 0700 directory, each in the keyring under its file.
    const names = [secrets.hostKey, secrets.ctrlrKey, secrets.oneWay].map(keyName).sort();
    expect(keyFiles(r)).toEqual(names);
    expect(mode(r.keysDir)).toBe(0o700);
    for (const name of names) {
      expect(mode(path.join(r.keysDir, name))).toBe(0o600);
      expect(fs.readFileSync(path.join(r.keysDir, name), 'utf8')).toBe([secrets.hostKey, secrets.ctrlrKey, secrets.oneWay].find((s) => keyName(s) === name));
    }
    const listed = await keyring(r);
    expect(listed.map((k) => k.name).sort()).toEqual(names);
    expect(listed.every((k) => k.path === path.join(r.keysDir, k.name) && !k.removed)).toBe(true);

    // Create again: the same keys are the same replica; other keys are another one.
    const again = {
      name: 'chap',
      diskName: 'd',
      sizeBytes: 16 * MIB,
      hostNqns: [],
      hosts: [
        { nqn: ENGINE_HOST, dhchapKey: secrets.hostKey, dhchapCtrlrKey: secrets.ctrlrKey },
        { nqn: OTHER_HOST, dhchapKey: secrets.oneWay },
      ],
    };
    expect((await invoke(r.api.replicas, 'ReplicaCreate', again)).export!.port).toBe(replica.export!.port);
    const differs = await refusal(invoke(r.api.replicas, 'ReplicaCreate', { ...again, hosts: [again.hosts[0]!, { nqn: OTHER_HOST, dhchapKey: secrets.other }] }));
    expect(differs).toMatchObject({ status: status.ALREADY_EXISTS, code: 'REPLICA_EXISTS' });
    expect(differs.details).toContain(OTHER_HOST);
    expect(keyFiles(r)).not.toContain(keyName(secrets.other));

    // ReplicaGet says the same, with no key and no key name anywhere in it.
    const got = await invoke(r.api.replicas, 'ReplicaGet', { name: 'chap' });
    const text = JSON.stringify(got);
    for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
    for (const name of names) expect(text).not.toContain(name);
  });

  it('exposes with TLS: the listener requires a secure channel and every host has a PSK', async () => {
    const replica = await invoke(r.api.replicas, 'ReplicaCreate', { name: 'tls', diskName: 'd', sizeBytes: 16 * MIB, hosts: [{ nqn: ENGINE_HOST, psk: secrets.psk }] });
    expect(replica.export!.secureChannel).toBe(true);
    expect(replica.export!.hostAuth).toEqual([{ nqn: ENGINE_HOST, dhchap: false, dhchapBidirectional: false, tls: true }]);
    expect((await keyring(r)).map((k) => k.name)).toContain(keyName(secrets.psk));

    // One log line for the create-and-expose, saying who may connect and how, never the key.
    const lines = r.logs
      .join('')
      .split('\n')
      .filter((l) => l.includes('"replica":"tls"'))
      .map((l) => JSON.parse(l) as { msg: string; authenticated?: string[]; tls?: boolean; port?: number });
    expect(lines.map((l) => l.msg)).toEqual(['replica created and exposed']);
    expect(lines[0]).toMatchObject({ authenticated: [ENGINE_HOST], tls: true, port: replica.export!.port });

    // A host without a PSK on a TLS export could never connect: refused, nothing changed.
    const mixed = await refusal(invoke(r.api.replicas, 'ReplicaExpose', { name: 'tls', hostNqns: [OTHER_HOST], hosts: [{ nqn: ENGINE_HOST, psk: secrets.psk }], mode: 'EXPOSE_MODE_REPLACE' }));
    expect(mixed).toMatchObject({ status: status.INVALID_ARGUMENT, code: 'INVALID_SECRET' });
    expect((await invoke(r.api.replicas, 'ReplicaGet', { name: 'tls' })).export!.hostNqns).toEqual([ENGINE_HOST]);
  });

  it('refuses a malformed secret at the edge without echoing it, and makes nothing', async () => {
    const damaged = `${secrets.oneWay.slice(0, 12)}${secrets.oneWay[12] === 'A' ? 'B' : 'A'}${secrets.oneWay.slice(13)}`;
    const before = keyFiles(r);
    for (const [hosts, field] of [
      [[{ nqn: OTHER_HOST, dhchapKey: damaged }], 'hosts[0].dhchap_key'],
      [[{ nqn: OTHER_HOST, dhchapKey: secrets.psk }], 'hosts[0].dhchap_key'],
      [[{ nqn: OTHER_HOST, psk: secrets.oneWay }], 'hosts[0].psk'],
      [[{ nqn: OTHER_HOST, dhchapCtrlrKey: secrets.ctrlrKey }], 'hosts[0].dhchap_ctrlr_key'],
    ] as const) {
      const refused = await refusal(invoke(r.api.replicas, 'ReplicaCreate', { name: 'bad', diskName: 'd', sizeBytes: 16 * MIB, hosts: [...hosts] }));
      expect(refused).toMatchObject({ status: status.INVALID_ARGUMENT, code: 'INVALID_SECRET' });
      expect(refused.details).toContain(field);
      for (const secret of [damaged, ...Object.values(secrets)]) expect(refused.details).not.toContain(secret);
    }
    await expect(invoke(r.api.replicas, 'ReplicaGet', { name: 'bad' })).rejects.toMatchObject({ code: status.NOT_FOUND });
    expect(keyFiles(r)).toEqual(before);
  });
});

describe('engine attaches to protected replicas', () => {
  let chapPort: number;
  let tlsPort: number;

  beforeAll(async () => {
    chapPort = (await invoke(r.api.replicas, 'ReplicaGet', { name: 'chap' })).export!.port;
    tlsPort = (await invoke(r.api.replicas, 'ReplicaGet', { name: 'tls' })).export!.port;
  });

  it('refuses a wrong key with NVME_AUTH_FAILED and leaves no engine, key or key file', async () => {
    const refused = await refusal(
      invoke(e.api.engines, 'EngineCreate', {
        name: 'wrong',
        sizeBytes: 8 * MIB,
        replicas: [remote('chap', chapPort, { dhchapKey: secrets.wrong, dhchapCtrlrKey: secrets.ctrlrKey }), remote('tls', tlsPort, { psk: secrets.psk })],
        frontend: 'FRONTEND_KIND_EXPORT_ONLY',
        hostNqns: [OTHER_HOST],
      }),
    );
    expect(refused).toMatchObject({ status: status.FAILED_PRECONDITION, code: 'NVME_AUTH_FAILED' });
    for (const secret of Object.values(secrets)) expect(refused.details).not.toContain(secret);
    await expect(invoke(e.api.engines, 'EngineGet', { name: 'wrong' })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await until('the keys of the failed create to be released', 5_000, async () => (await keyring(e)).length === 0 && keyFiles(e).length === 0);
  });

  it('refuses the right host key with a wrong controller key (bidirectional) with NVME_AUTH_FAILED', async () => {
    const refused = await refusal(
      invoke(e.api.engines, 'EngineCreate', {
        name: 'wrongctrl',
        sizeBytes: 8 * MIB,
        replicas: [remote('chap', chapPort, { dhchapKey: secrets.hostKey, dhchapCtrlrKey: secrets.other }), remote('tls', tlsPort, { psk: secrets.psk })],
        frontend: 'FRONTEND_KIND_EXPORT_ONLY',
        hostNqns: [OTHER_HOST],
      }),
    );
    expect(refused).toMatchObject({ status: status.FAILED_PRECONDITION, code: 'NVME_AUTH_FAILED' });
  });

  it('says why an attach without keys to a protected export fails', async () => {
    const refused = await refusal(
      invoke(e.api.engines, 'EngineCreate', {
        name: 'nokeys',
        sizeBytes: 8 * MIB,
        replicas: [remote('chap', chapPort), remote('tls', tlsPort)],
        frontend: 'FRONTEND_KIND_EXPORT_ONLY',
        hostNqns: [OTHER_HOST],
      }),
    );
    // spdk_tgt answers -5 as for an unreachable target: the code stays REPLICA_UNREACHABLE, the reason names the keys.
    expect(refused).toMatchObject({ status: status.UNAVAILABLE, code: 'REPLICA_UNREACHABLE' });
    expect(refused.details).toContain('requires DH-HMAC-CHAP or TLS keys');
  });

  it('attaches with the right keys (bidirectional DH-HMAC-CHAP and TLS), records key names only, and cleans up on delete', async () => {
    const engine = await invoke(e.api.engines, 'EngineCreate', {
      name: 'vol',
      sizeBytes: 8 * MIB,
      replicas: [remote('chap', chapPort, { dhchapKey: secrets.hostKey, dhchapCtrlrKey: secrets.ctrlrKey }), remote('tls', tlsPort, { psk: secrets.psk })],
      frontend: 'FRONTEND_KIND_EXPORT_ONLY',
      hostNqns: [OTHER_HOST],
    });
    expect(engine.members.map((m) => m.state).sort()).toEqual(['MEMBER_STATE_HEALTHY', 'MEMBER_STATE_HEALTHY']);
    for (const secret of Object.values(secrets)) expect(JSON.stringify(engine)).not.toContain(secret);

    // The target saw the engine authenticate on the DH-HMAC-CHAP export.
    const qpairs = (await r.rpc.request('nvmf_subsystem_get_qpairs', { nqn: 'nqn.2024-11.io.spdk-conductor:replica:chap' })).result as Array<{ hostnqn: string; auth?: { state: string } }>;
    expect(qpairs.find((q) => q.hostnqn === ENGINE_HOST)?.auth?.state).toBe('completed');

    // The engine node's files and keyring hold the three keys; its state file their names only.
    const names = [secrets.hostKey, secrets.ctrlrKey, secrets.psk].map(keyName).sort();
    expect(keyFiles(e)).toEqual(names);
    for (const name of names) expect(mode(path.join(e.keysDir, name))).toBe(0o600);
    expect((await keyring(e)).map((k) => k.name).sort()).toEqual(names);
    const state = fs.readFileSync(path.join(e.dir, 'state', 'state.json'), 'utf8');
    for (const name of names) expect(state).toContain(name);
    for (const secret of Object.values(secrets)) expect(state).not.toContain(secret);

    await invoke(e.api.engines, 'EngineDelete', { name: 'vol' });
    await until('the engine node to drop its keys from the keyring and disk', 5_000, async () => (await keyring(e)).length === 0 && keyFiles(e).length === 0);
  });

  it('removes a replica key from the keyring and disk with its last user', async () => {
    const shared = keyName(secrets.hostKey);
    // A second export of the same secret: one key, two users.
    await invoke(r.api.replicas, 'ReplicaCreate', { name: 'chap2', diskName: 'd', sizeBytes: 16 * MIB, hosts: [{ nqn: OTHER_HOST, dhchapKey: secrets.hostKey }] });
    expect((await keyring(r)).filter((k) => k.name === shared)).toHaveLength(1);
    await invoke(r.api.replicas, 'ReplicaUnexpose', { name: 'chap' });
    expect(keyFiles(r)).toContain(shared);
    expect(keyFiles(r)).not.toContain(keyName(secrets.ctrlrKey));
    expect(keyFiles(r)).not.toContain(keyName(secrets.oneWay));
    await invoke(r.api.replicas, 'ReplicaDelete', { name: 'chap2' });
    await invoke(r.api.replicas, 'ReplicaDelete', { name: 'tls' });
    await until('the replica node to drop every key', 5_000, async () => (await keyring(r)).length === 0 && keyFiles(r).length === 0);
  });
});

describe('changing keys', () => {
  it('re-keys a host in place, drops the old key with its last user, and keeps an export TLS or not as made', async () => {
    await invoke(r.api.replicas, 'ReplicaCreate', { name: 'rekey', diskName: 'd', sizeBytes: 16 * MIB, hosts: [{ nqn: OTHER_HOST, dhchapKey: secrets.other }] });
    expect(keyFiles(r)).toContain(keyName(secrets.other));
    const rekeyed = await invoke(r.api.replicas, 'ReplicaExpose', { name: 'rekey', hosts: [{ nqn: OTHER_HOST, dhchapKey: secrets.hostKey, dhchapCtrlrKey: secrets.ctrlrKey }] });
    expect(rekeyed.export!.hostAuth).toEqual([{ nqn: OTHER_HOST, dhchap: true, dhchapBidirectional: true, tls: false }]);
    const [subsystem] = (await r.rpc.request('nvmf_get_subsystems', { nqn: rekeyed.export!.nqn })).result as Array<{ hosts: Array<{ nqn: string; dhchap_key?: string; dhchap_ctrlr_key?: string }> }>;
    expect(subsystem!.hosts).toEqual([{ nqn: OTHER_HOST, dhchap_key: keyName(secrets.hostKey), dhchap_ctrlr_key: keyName(secrets.ctrlrKey) }]);
    expect(keyFiles(r)).not.toContain(keyName(secrets.other));

    // A PSK on an export made without TLS would need another listener: refused, nothing changed.
    const tls = await refusal(invoke(r.api.replicas, 'ReplicaExpose', { name: 'rekey', hosts: [{ nqn: OTHER_HOST, psk: secrets.psk }] }));
    expect(tls).toMatchObject({ status: status.FAILED_PRECONDITION, code: 'EXPORT_TLS_MISMATCH' });
    expect((await invoke(r.api.replicas, 'ReplicaGet', { name: 'rekey' })).export!.hostAuth[0]).toMatchObject({ dhchapBidirectional: true, tls: false });

    // Dropping authentication re-adds the host without keys.
    const plain = await invoke(r.api.replicas, 'ReplicaExpose', { name: 'rekey', hostNqns: [OTHER_HOST] });
    expect(plain.export!.hostAuth).toEqual([{ nqn: OTHER_HOST, dhchap: false, dhchapBidirectional: false, tls: false }]);
    await invoke(r.api.replicas, 'ReplicaDelete', { name: 'rekey' });
    expect(keyFiles(r)).toEqual([]);
  });

  it('adds a member with its keys to a running engine and rebuilds it (raid path: no snapshot copy for a protected replica)', async () => {
    const hosts = [{ nqn: ENGINE_HOST, dhchapKey: secrets.oneWay }];
    const ports: number[] = [];
    for (const name of ['m1', 'm2']) ports.push((await invoke(r.api.replicas, 'ReplicaCreate', { name, diskName: 'd', sizeBytes: 16 * MIB, hosts })).export!.port);
    const members = [remote('m1', ports[0]!, { dhchapKey: secrets.oneWay }), remote('m2', ports[1]!, { dhchapKey: secrets.oneWay })];
    await invoke(e.api.engines, 'EngineCreate', { name: 'grow', sizeBytes: 8 * MIB, replicas: members, frontend: 'FRONTEND_KIND_EXPORT_ONLY', hostNqns: [OTHER_HOST] });
    await invoke(e.api.engines, 'EngineReplicaRemove', { name: 'grow', replicaName: 'm2' });
    // m1 still holds the key: removing m2 did not take it away.
    expect(keyFiles(e)).toEqual([keyName(secrets.oneWay)]);
    await invoke(e.api.engines, 'EngineReplicaAdd', { name: 'grow', replica: members[1]! });
    let last = '';
    await until('the rebuild of m2 to finish', 30_000, async () => {
      const rebuild = await invoke(e.api.engines, 'RebuildGet', { engine: 'grow', replica: 'm2' });
      last = `${rebuild.state}: ${rebuild.reason}`;
      if (rebuild.state === 'REBUILD_STATE_FAILED') throw new Error(last);
      return rebuild.state === 'REBUILD_STATE_DONE';
    }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message} (last: ${last})`);
    });
    const engine = await invoke(e.api.engines, 'EngineGet', { name: 'grow' });
    expect(engine.members.map((m) => m.state)).toEqual(['MEMBER_STATE_HEALTHY', 'MEMBER_STATE_HEALTHY']);
    await invoke(e.api.engines, 'EngineDelete', { name: 'grow' });
    await until('the engine node to drop the key', 5_000, async () => (await keyring(e)).length === 0 && keyFiles(e).length === 0);
    for (const name of ['m1', 'm2']) await invoke(r.api.replicas, 'ReplicaDelete', { name });
  });
});

describe('restarts and a path already attached', () => {
  it('keeps the keys in use across a service restart and puts back a key spdk_tgt lost', async () => {
    const replica = await invoke(r.api.replicas, 'ReplicaCreate', { name: 'kept', diskName: 'd', sizeBytes: 16 * MIB, hosts: [{ nqn: ENGINE_HOST, dhchapKey: secrets.oneWay }] });
    const name = keyName(secrets.oneWay);
    await r.restart();
    expect((await keyring(r)).filter((k) => k.name === name && !k.removed)).toHaveLength(1);
    // spdk_tgt loses the key (as a restarted spdk_tgt would): the next start adds it again from its file.
    expect((await r.rpc.request('keyring_file_remove_key', { name })).result).toBe(true);
    await r.restart();
    expect((await keyring(r)).filter((k) => k.name === name && !k.removed)).toHaveLength(1);
    expect(r.logs.join('')).toContain('keys recovered');

    // The restored key works: the engine node attaches with it.
    const port = replica.export!.port;
    await invoke(r.api.replicas, 'ReplicaCreate', { name: 'kept2', diskName: 'd', sizeBytes: 16 * MIB, hosts: [{ nqn: ENGINE_HOST, dhchapKey: secrets.oneWay }] });
    const port2 = (await invoke(r.api.replicas, 'ReplicaGet', { name: 'kept2' })).export!.port;
    await invoke(e.api.engines, 'EngineCreate', {
      name: 'kept',
      sizeBytes: 8 * MIB,
      replicas: [remote('kept', port, { dhchapKey: secrets.oneWay }), remote('kept2', port2, { dhchapKey: secrets.oneWay })],
      frontend: 'FRONTEND_KIND_EXPORT_ONLY',
      hostNqns: [OTHER_HOST],
    });
    // The engine node restarts with its engine: its key stays until the engine goes.
    await e.restart();
    expect(keyFiles(e)).toEqual([name]);
    expect((await keyring(e)).map((k) => k.name)).toEqual([name]);
    // Lost by spdk_tgt while the members hold it: put back, and the controllers re-authenticate with it.
    expect((await e.rpc.request('keyring_file_remove_key', { name })).result).toBe(true);
    await e.restart();
    expect((await keyring(e)).filter((k) => k.name === name && !k.removed)).toHaveLength(1);
    expect(e.logs.join('')).toContain('"repointed":["engine/kept/kept","engine/kept/kept2"]');
    const members = (await invoke(e.api.engines, 'EngineGet', { name: 'kept' })).members;
    expect(members.map((m) => m.state)).toEqual(['MEMBER_STATE_HEALTHY', 'MEMBER_STATE_HEALTHY']);
    await invoke(e.api.engines, 'EngineDelete', { name: 'kept' });
    await until('the engine node to drop the key', 5_000, async () => (await keyring(e)).length === 0 && keyFiles(e).length === 0);
  });

  it('says NVME_PATH_IN_USE when another controller holds the same path: spdk_tgt checked no key (-17)', async () => {
    const port = (await invoke(r.api.replicas, 'ReplicaGet', { name: 'kept' })).export!.port;
    const port2 = (await invoke(r.api.replicas, 'ReplicaGet', { name: 'kept2' })).export!.port;
    // A controller outside the service on the engine node, to the same target as the same host.
    const own = tempDir('nvme-auth-stray-');
    const file = path.join(own, 'stray');
    fs.writeFileSync(file, secrets.oneWay, { mode: 0o600 });
    await e.rpc.request('keyring_file_add_key', { name: 'stray', path: file });
    const attached = await e.rpc.request('bdev_nvme_attach_controller', {
      name: 'stray',
      trtype: 'tcp',
      adrfam: 'ipv4',
      traddr: '127.0.0.1',
      trsvcid: String(port),
      subnqn: 'nqn.2024-11.io.spdk-conductor:replica:kept',
      hostnqn: ENGINE_HOST,
      dhchap_key: 'stray',
    });
    expect(attached.error).toBeUndefined();
    const refused = await refusal(
      invoke(e.api.engines, 'EngineCreate', {
        name: 'masked',
        sizeBytes: 8 * MIB,
        replicas: [remote('kept', port, { dhchapKey: secrets.wrong }), remote('kept2', port2, { dhchapKey: secrets.oneWay })],
        frontend: 'FRONTEND_KIND_EXPORT_ONLY',
        hostNqns: [OTHER_HOST],
      }),
    );
    expect(refused).toMatchObject({ status: status.FAILED_PRECONDITION, code: 'NVME_PATH_IN_USE' });
    expect(refused.details).toContain('controller stray');
    await e.rpc.request('bdev_nvme_detach_controller', { name: 'stray' });
    await e.rpc.request('keyring_file_remove_key', { name: 'stray' });
  });
});

describe('the CLI', () => {
  const run = (args: string[]) =>
    execa(process.execPath, [CLI, ...args], { reject: false, extendEnv: false, env: { PATH: process.env.PATH ?? '', CONDUCTOR_API_SOCKET: path.join(r.dir, 'api.sock') }, timeout: 30_000 });

  it('reads secrets from files, shows what each host must do, and points nvme connect at the files', async () => {
    const dir = tempDir('nvme-auth-cli-');
    const hostFile = path.join(dir, 'host.key');
    const ctrlFile = path.join(dir, 'ctrl.key');
    fs.writeFileSync(hostFile, `${secrets.hostKey}\n`, { mode: 0o600 });
    fs.writeFileSync(ctrlFile, `${secrets.ctrlrKey}\n`, { mode: 0o600 });
    const created = await run(['replica', 'create', 'cli', '--disk', 'd', '--size', '16MiB', '--host', `${OTHER_HOST},dhchap-key-file=${hostFile},dhchap-ctrlr-key-file=${ctrlFile}`]);
    expect(created.exitCode, created.stderr).toBe(0);
    expect(created.stdout).toContain(`${OTHER_HOST}: DH-HMAC-CHAP bidirectional`);
    expect(created.stdout).toContain(`--dhchap-secret "$(cat ${hostFile})" --dhchap-ctrl-secret "$(cat ${ctrlFile})"`);
    const json = await run(['replica', 'get', 'cli', '--json']);
    for (const out of [created.stdout, created.stderr, json.stdout]) for (const secret of Object.values(secrets)) expect(out).not.toContain(secret);
    expect(JSON.parse(json.stdout).export.hostAuth).toEqual([{ nqn: OTHER_HOST, dhchap: true, dhchapBidirectional: true, tls: false }]);

    const missing = await run(['replica', 'expose', 'cli', '--host', `${OTHER_HOST},dhchap-key-file=${path.join(dir, 'nope')}`]);
    expect(missing.exitCode).toBe(2);
    const bad = path.join(dir, 'bad.key');
    fs.writeFileSync(bad, secrets.psk, { mode: 0o600 });
    const refused = await run(['replica', 'expose', 'cli', '--host', `${OTHER_HOST},dhchap-key-file=${bad}`]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('INVALID_SECRET');
    expect(refused.stderr).not.toContain(secrets.psk);
    await invoke(r.api.replicas, 'ReplicaDelete', { name: 'cli' });
  });

  it('creates an engine whose members attach with keys read from files', async () => {
    const dir = tempDir('nvme-auth-cli-engine-');
    const keyFile = path.join(dir, 'member.key');
    fs.writeFileSync(keyFile, secrets.oneWay, { mode: 0o600 });
    const ports: number[] = [];
    for (const name of ['c1', 'c2'])
      ports.push((await invoke(r.api.replicas, 'ReplicaCreate', { name, diskName: 'd', sizeBytes: 16 * MIB, hosts: [{ nqn: ENGINE_HOST, dhchapKey: secrets.oneWay }] })).export!.port);
    const spec = (name: string, port: number) => `name=${name},address=127.0.0.1,port=${port},nqn=nqn.2024-11.io.spdk-conductor:replica:${name},dhchap-key-file=${keyFile}`;
    const created = await execa(
      process.execPath,
      [CLI, 'engine', 'create', 'clivol', '--size', '8MiB', '--frontend', 'export-only', '--host', OTHER_HOST, '--replica', spec('c1', ports[0]!), '--replica', spec('c2', ports[1]!)],
      { reject: false, extendEnv: false, env: { PATH: process.env.PATH ?? '', CONDUCTOR_API_SOCKET: path.join(e.dir, 'api.sock') }, timeout: 30_000 },
    );
    expect(created.exitCode, created.stderr).toBe(0);
    for (const secret of Object.values(secrets)) expect(created.stdout + created.stderr).not.toContain(secret);
    expect((await invoke(e.api.engines, 'EngineGet', { name: 'clivol' })).members.map((m) => m.state)).toEqual(['MEMBER_STATE_HEALTHY', 'MEMBER_STATE_HEALTHY']);
    await invoke(e.api.engines, 'EngineDelete', { name: 'clivol' });
    for (const name of ['c1', 'c2']) await invoke(r.api.replicas, 'ReplicaDelete', { name });
  });
});

describe('secrets in logs', () => {
  it('never writes a secret (nor its base64 body) to either node log', () => {
    const all = [...r.logs, ...e.logs].join('');
    expect(all.length).toBeGreaterThan(1000);
    // The keys were logged by name: the log lines are there, the secrets are not.
    expect(all).toContain(keyName(secrets.hostKey));
    for (const secret of Object.values(secrets)) {
      expect(all).not.toContain(secret);
      expect(all).not.toContain(secret.split(':')[2]);
    }
  });
});
