/**
 * Who may call (issue 11, item 1): the TCP API with mutual TLS, with certificates made at test
 * time, against real serve processes (on the embedded simulator) and the CLI as a client. A good
 * client certificate is accepted; one from another CA, an expired one and none are refused, and a
 * client without TLS fails at once saying what to do. Rotating the server's files changes what a
 * new connection sees while the process keeps serving; a broken rotation keeps the old pair.
 * Start-up refuses bad files naming the key; TCP is off unless TLS or api.tcpInsecure; the Unix
 * socket gets api.socketGroup. Peers call each other over mutual TLS, in a real rebuild too.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { execa, type ResultPromise } from 'execa';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, invoke } from '../../src/api/client.js';
import { resolveSocketGroup } from '../../src/api/socket-group.js';
import type { TlsFiles } from '../../src/api/tls-files.js';
import { WatchedTls } from '../../src/api/watched-tls.js';
import { ConductorError } from '../../src/errors.js';
import { GrpcPeerDirectory } from '../../src/peers/grpc-peers.js';
import type { EngineReplicaSpec } from '../../src/domain/model.js';
import { startTestApi, waitFor } from '../api/helpers/api-server.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { ENGINE_HOST_NQN, FAST_BUDGET, HOST_NQN, MIB, until } from '../engine/helpers/cluster.js';
import { makeCa, replaceFile, writeIdentity, type Identity, type TestCa } from '../helpers/certs.js';
import { portBlock } from '../helpers/ports.js';
import { alive } from '../helpers/process.js';
import { tempDir } from '../helpers/temp-dir.js';

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');
const DAY_MS = 24 * 3600 * 1000;

interface Files {
  cert: string;
  key: string;
  ca: string;
}

let dir: string;
let ca: TestCa;
let otherCa: TestCa;
let server: Files;
let client: Files;
let wrongCaClient: Files;
let expiredClient: Files;

beforeAll(async () => {
  dir = tempDir('mtls-');
  ca = await makeCa('conductor test CA');
  otherCa = await makeCa('someone else’s CA');
  server = writeIdentity(dir, 'server', await ca.issue('node-1', { server: true }), ca);
  client = writeIdentity(dir, 'client', await ca.issue('operator'), ca);
  wrongCaClient = writeIdentity(dir, 'wrong-ca-client', await otherCa.issue('operator'), ca);
  expiredClient = writeIdentity(dir, 'expired-client', await ca.issue('operator', { notBefore: new Date(Date.now() - 10 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) }), ca);
});

/** serve's environment: a fresh socket, warn-level logs from the CLI, nothing inherited. */
function serveEnv(extra: Record<string, string>): { env: Record<string, string>; socket: string } {
  const socket = path.join(tempDir('mtls-serve-'), 'api.sock');
  return { socket, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CONDUCTOR_API_SOCKET: socket, CONDUCTOR_LOG_LEVEL: 'info', ...extra } };
}

interface Serve {
  child: ResultPromise;
  socket: string;
  /** The TCP port, when a TCP listener is up. */
  port: number | undefined;
  lines(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** serve as a child; resolves once it logs "serving", fails with its output if it exits first. */
async function startServe(extra: Record<string, string>): Promise<Serve> {
  const { env, socket } = serveEnv(extra);
  const child = execa(process.execPath, [CLI, 'serve'], { reject: false, env, extendEnv: false, timeout: 60_000 });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  await waitFor(
    'serve to log "serving"',
    () => {
      if (child.exitCode !== null) throw new Error(`serve exited early (${child.exitCode}):\n${out}`);
      return out.includes('"msg":"serving"');
    },
    30_000,
  );
  const lines = (): Record<string, unknown>[] =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const listening = lines().find((l) => l.msg === 'API listening') as { tcp?: string } | undefined;
  const port = listening?.tcp ? Number(listening.tcp.split(':').at(-1)) : undefined;
  return {
    child,
    socket,
    port,
    lines,
    stop: async () => {
      child.kill('SIGTERM');
      await child;
    },
  };
}

function cli(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [CLI, ...args], { reject: false, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CONDUCTOR_LOG_LEVEL: 'warn', ...env }, extendEnv: false, timeout: 30_000 });
}

/** The files as WatchedTls takes them, under config keys of `prefix`. */
function tlsFiles(prefix: 'api.tls' | 'client.tls', files: Files): TlsFiles {
  return {
    cert: { key: `${prefix}.cert`, path: files.cert },
    key: { key: `${prefix}.key`, path: files.key },
    ca: { key: prefix === 'api.tls' ? 'api.tls.clientCa' : 'client.tls.ca', path: files.ca },
  };
}

function clientFlags(files: Files): string[] {
  return ['--client-tls-cert', files.cert, '--client-tls-key', files.key, '--client-tls-ca', files.ca];
}

function serverTlsEnv(files: Files): Record<string, string> {
  return { CONDUCTOR_API_TLS_CERT: files.cert, CONDUCTOR_API_TLS_KEY: files.key, CONDUCTOR_API_TLS_CLIENT_CA: files.ca };
}

/** The serial of the certificate a new TLS connection to the port is shown (upper-case hex, as Node says it). */
function peerSerial(port: number, files: Files): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, servername: 'localhost', ca: fs.readFileSync(files.ca), cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key), ALPNProtocols: ['h2'] },
      () => {
        const serial = socket.getPeerCertificate().serialNumber;
        socket.destroy();
        resolve(serial);
      },
    );
    socket.once('error', reject);
  });
}

describe('a serve process with mutual TLS on its TCP listener', () => {
  let serve: Serve;
  let address: string;

  beforeAll(async () => {
    serve = await startServe({ CONDUCTOR_API_TCP: '127.0.0.1:0', CONDUCTOR_API_TLS_POLL_MS: '500', ...serverTlsEnv(server) });
    address = `127.0.0.1:${serve.port}`;
  });

  afterAll(async () => {
    await serve?.stop();
  });

  it('logs why TCP is on and what it serves', () => {
    const start = serve.lines().find((l) => typeof l.msg === 'string' && l.msg.startsWith('TCP API '));
    expect(start).toMatchObject({ msg: 'TCP API mtls: api.tls.* is set: mutual TLS, client certificate required', security: 'mtls', certificate: { subject: 'CN=node-1' } });
    expect(serve.port).toBeGreaterThan(0);
  });

  it('accepts a client certificate from its CA, and node info says the API is mutual TLS', async () => {
    const result = await cli(['node', 'info', '--address', address, ...clientFlags(client), '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const notAfter = new Date(new X509Certificate(fs.readFileSync(server.cert)).validTo).toISOString();
    expect(JSON.parse(result.stdout)).toMatchObject({ apiTcpSecurity: 'mtls', apiTcpClientCertRequired: true, apiTcpCertificateNotAfter: notAfter, simulator: true });
    const text = await cli(['node', 'info', '--address', address, ...clientFlags(client)]);
    expect(text.stdout).toMatch(/^api tcp +mtls$/m);
    expect(text.stdout).toMatch(/^client certificate +required$/m);
    expect(text.stdout).toMatch(new RegExp(`^api certificate +expires ${notAfter.replace(/\./g, '\\.')}$`, 'm'));
  });

  /** A health check with plain grpc-js TLS credentials (no checks of ours on the client's files). */
  async function rawHealthCheck(credentials: grpc.ChannelCredentials): Promise<grpc.ServiceError | undefined> {
    // A host name as the TLS server name: Node warns about an address there (our client avoids it, see api/client.ts).
    const health = new grpc.Client(address, credentials, { 'grpc.ssl_target_name_override': 'localhost' });
    try {
      return await new Promise((resolve) =>
        health.makeUnaryRequest(
          '/grpc.health.v1.Health/Check',
          (x: Buffer) => x,
          (x: Buffer) => x,
          Buffer.alloc(0),
          { deadline: Date.now() + 10_000 },
          (err) => resolve(err ?? undefined),
        ),
      );
    } finally {
      health.close();
    }
  }

  it('refuses a client certificate from another CA', async () => {
    const result = await cli(['disk', 'list', '--address', address, ...clientFlags(wrongCaClient)]);
    expect(result.exitCode, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/cannot reach the spdk-conductor service at 127\.0\.0\.1:\d+ .*with mutual TLS: the server's certificate must be signed by a CA in client\.tls\.ca/);
  });

  it('refuses an expired client certificate, which the CLI does not even send', async () => {
    const read = (file: string): Buffer => fs.readFileSync(file);
    expect(await rawHealthCheck(grpc.credentials.createSsl(read(client.ca), read(client.key), read(client.cert)))).toBeUndefined();
    expect(await rawHealthCheck(grpc.credentials.createSsl(read(expiredClient.ca), read(expiredClient.key), read(expiredClient.cert)))).toMatchObject({ code: grpc.status.UNAVAILABLE });
    const result = await cli(['disk', 'list', '--address', address, ...clientFlags(expiredClient)]);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/config client\.tls\.cert: .*expired-client\.crt: the certificate expired on /);
  });

  it('refuses a TLS client without a certificate', async () => {
    expect(await rawHealthCheck(grpc.credentials.createSsl(fs.readFileSync(server.ca)))).toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('is refused by a client when its certificate does not name the address called', async () => {
    const elsewhere = writeIdentity(dir, 'elsewhere', await ca.issue('node-2', { server: true, dnsNames: ['node-2.example'] }), ca);
    const other = await startTestApi({
      tcpAddress: '127.0.0.1:0',
      tcpSecurity: { kind: 'mtls', certificates: new WatchedTls(tlsFiles('api.tls', elsewhere), pino({ level: 'silent' }), { watch: false }) },
    });
    try {
      const result = await cli(['node', 'info', '--address', `127.0.0.1:${other.server.ports.tcp!.port}`, ...clientFlags(client)]);
      expect(result.exitCode, result.stderr).toBe(3);
      expect(result.stderr).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list/);
      expect(other.domain.calls).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('tells a client without TLS what to do, at once rather than after its deadline', async () => {
    const started = Date.now();
    const result = await cli(['disk', 'list', '--address', address, '--timeout', '25s']);
    expect(result.exitCode, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/cannot reach the spdk-conductor service at 127\.0\.0\.1:\d+ .*if its API requires mutual TLS, give --client-tls-cert, --client-tls-key and --client-tls-ca/);
    expect(Date.now() - started).toBeLessThan(25_000);
  });

  it('uses rotated files for new connections, keeps serving, and keeps the old pair when a rotation is broken', async () => {
    const pid = serve.child.pid!;
    const before = await peerSerial(serve.port!, client);
    expect(before).toBe(new X509Certificate(fs.readFileSync(server.cert)).serialNumber);
    // A client connected before the rotation keeps its connection and goes on calling.
    const earlier = createApiClients({ tcpAddress: address }, { tls: new WatchedTls(tlsFiles('client.tls', client), pino({ level: 'silent' }), { watch: false }) });
    try {
      await invoke(earlier.disks, 'DiskList', {}, { deadlineMs: 10_000 });

      const next = await ca.issue('node-1 rotated', { server: true });
      replaceFile(server.key, next.keyPem);
      replaceFile(server.cert, next.certPem);
      await waitFor('a new connection to see the rotated certificate', async () => (await peerSerial(serve.port!, client)) === next.serial.toUpperCase(), 15_000);
      expect(serve.lines().some((l) => l.msg === 'certificate files reloaded; new connections use them')).toBe(true);
      expect(alive(pid)).toBe(true);
      await invoke(earlier.disks, 'DiskList', {}, { deadlineMs: 10_000 });
      const after = await cli(['node', 'info', '--address', address, ...clientFlags(client), '--json']);
      expect(after.exitCode, after.stderr).toBe(0);
      // NodeInfo says the rotated certificate's notAfter.
      expect(JSON.parse(after.stdout)).toMatchObject({ apiTcpCertificateNotAfter: new Date(new X509Certificate(next.certPem).validTo).toISOString() });

      // A certificate whose key is not the one beside it: refused, logged, the rotated pair stays.
      const stranger: Identity = await ca.issue('node-1 stranger', { server: true });
      replaceFile(server.cert, stranger.certPem);
      await waitFor('the broken rotation to be logged', () => serve.lines().find((l) => l.msg === 'certificate files changed but cannot be used; keeping the certificate in use'), 15_000);
      const refusal = serve.lines().find((l) => l.msg === 'certificate files changed but cannot be used; keeping the certificate in use')!;
      expect(refusal).toMatchObject({ level: 50, err: expect.stringMatching(/^config api\.tls\.key: .*server\.key is not the private key of api\.tls\.cert .*server\.crt$/) });
      expect(JSON.stringify(serve.lines())).not.toContain(next.keyPem.split('\n')[1]);
      expect(await peerSerial(serve.port!, client)).toBe(next.serial.toUpperCase());
      expect((await cli(['node', 'info', '--address', address, ...clientFlags(client)])).exitCode).toBe(0);
      replaceFile(server.cert, next.certPem);
    } finally {
      earlier.close();
    }
  });
});

describe('start-up refuses bad TLS files, naming the key and the file (exit 2)', () => {
  async function refused(env: Record<string, string>) {
    const result = await execa(process.execPath, [CLI, 'serve'], { reject: false, env: serveEnv({ CONDUCTOR_API_TCP: '127.0.0.1:0', ...env }).env, extendEnv: false, timeout: 30_000 });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stdout).not.toContain('API listening');
    return result.stderr;
  }

  it('an expired server certificate', async () => {
    const expired = writeIdentity(dir, 'expired-server', await ca.issue('node-1', { server: true, notBefore: new Date(Date.now() - 10 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) }), ca);
    expect(await refused(serverTlsEnv(expired))).toMatch(/^spdk-conductor: config api\.tls\.cert: .*expired-server\.crt: the certificate expired on \d{4}-.* \[INVALID_CONFIG\]$/m);
  });

  it('a certificate not yet valid', async () => {
    const early = writeIdentity(dir, 'early-server', await ca.issue('node-1', { server: true, notBefore: new Date(Date.now() + DAY_MS), notAfter: new Date(Date.now() + 9 * DAY_MS) }), ca);
    expect(await refused(serverTlsEnv(early))).toMatch(/config api\.tls\.cert: .*early-server\.crt: the certificate is not valid before /);
  });

  it('a key that is not the certificate’s', async () => {
    expect(await refused(serverTlsEnv({ ...server, key: client.key }))).toMatch(/config api\.tls\.key: .*client\.key is not the private key of api\.tls\.cert .*server\.crt \[INVALID_CONFIG\]/);
  });

  it('an unreadable file, a file that is not PEM, an empty CA bundle, a half-set identity', async () => {
    expect(await refused(serverTlsEnv({ ...server, cert: path.join(dir, 'missing.crt') }))).toMatch(/config api\.tls\.cert: cannot read .*missing\.crt: ENOENT/);
    const notPem = path.join(dir, 'not-pem.crt');
    fs.writeFileSync(notPem, 'hello\n');
    expect(await refused(serverTlsEnv({ ...server, cert: notPem }))).toMatch(/config api\.tls\.cert: .*not-pem\.crt holds no PEM certificate/);
    const empty = path.join(dir, 'empty-ca.crt');
    fs.writeFileSync(empty, '');
    expect(await refused(serverTlsEnv({ ...server, ca: empty }))).toMatch(/config api\.tls\.clientCa: .*empty-ca\.crt holds no PEM certificate/);
    expect(await refused({ CONDUCTOR_API_TLS_CERT: server.cert, CONDUCTOR_API_TLS_KEY: server.key })).toMatch(/config api\.tls\.clientCa: is not set, but api\.tls\.cert and api\.tls\.key are/);
  });

  it('the CLI refuses a bad client file before contacting anything', async () => {
    const result = await cli(['disk', 'list', '--address', '127.0.0.1:1', ...clientFlags({ ...client, key: wrongCaClient.key })]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/config client\.tls\.key: .*wrong-ca-client\.key is not the private key of client\.tls\.cert/);
  });
});

describe('TCP without TLS, and the Unix socket’s group', () => {
  /** Whether anything accepts a TCP connection on the port. */
  function accepts(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }

  it('is off by default, saying why; the Unix socket still serves', async () => {
    const port = portBlock();
    const serve = await startServe({ CONDUCTOR_API_TCP: `127.0.0.1:${port}` });
    try {
      expect(serve.lines().find((l) => l.msg === 'TCP API off: no TLS configured (api.tls.cert, api.tls.key, api.tls.clientCa) and api.tcpInsecure is not set')).toBeDefined();
      expect(serve.port).toBeUndefined();
      expect(await accepts(port)).toBe(false);
      const info = await cli(['node', 'info', '--json'], { CONDUCTOR_API_SOCKET: serve.socket });
      expect(info.exitCode, info.stderr).toBe(0);
      expect(JSON.parse(info.stdout)).toMatchObject({ apiTcpSecurity: 'off', apiTcpClientCertRequired: false });
    } finally {
      await serve.stop();
    }
  });

  it('is on with api.tcpInsecure, warning; api.socketGroup gives the socket its group, mode 0660', async () => {
    const group = fs
      .readFileSync('/etc/group', 'utf8')
      .split('\n')
      .map((l) => l.split(':'))
      .find(([name, , gid]) => name && gid !== undefined && Number(gid) !== process.getgid!())!;
    const [groupName, , gid] = group;
    const port = portBlock();
    const serve = await startServe({ CONDUCTOR_API_TCP: `127.0.0.1:${port}`, CONDUCTOR_API_TCP_INSECURE: 'true', CONDUCTOR_API_SOCKET_GROUP: groupName! });
    try {
      expect(serve.lines().find((l) => typeof l.msg === 'string' && l.msg.startsWith('TCP API insecure: '))).toMatchObject({ level: 40 });
      expect(serve.port).toBe(port);
      const info = await cli(['node', 'info', '--address', `127.0.0.1:${port}`, '--json']);
      expect(info.exitCode, info.stderr).toBe(0);
      expect(JSON.parse(info.stdout)).toMatchObject({ apiTcpSecurity: 'insecure', apiTcpClientCertRequired: false });
      const stat = fs.statSync(serve.socket);
      expect(stat.gid).toBe(Number(gid));
      expect(stat.mode & 0o777).toBe(0o660);
    } finally {
      await serve.stop();
    }
  });

  it('refuses a socket group that does not exist, and TLS together with api.tcpInsecure (exit 2)', async () => {
    const noGroup = await execa(process.execPath, [CLI, 'serve'], { reject: false, env: serveEnv({ CONDUCTOR_API_SOCKET_GROUP: 'no-such-group-xyz' }).env, extendEnv: false, timeout: 30_000 });
    expect(noGroup.exitCode).toBe(2);
    expect(noGroup.stderr).toMatch(/config api\.socketGroup: group "no-such-group-xyz" does not exist/);
    const both = await execa(process.execPath, [CLI, 'serve'], {
      reject: false,
      env: serveEnv({ ...serverTlsEnv(server), CONDUCTOR_API_TCP_INSECURE: 'true' }).env,
      extendEnv: false,
      timeout: 30_000,
    });
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toMatch(/config api\.tcpInsecure: is true and api\.tls\.\* is set: choose one/);
  });

  it('takes a numeric gid as given (a container’s fsGroup need not be in /etc/group), a name from the group file', async () => {
    const groupFile = path.join(tempDir('groups-'), 'group');
    fs.writeFileSync(groupFile, 'root:x:0:\nstorage-ops:x:4321:alice,bob\n');
    await expect(resolveSocketGroup('70001', groupFile)).resolves.toBe(70001);
    await expect(resolveSocketGroup('storage-ops', groupFile)).resolves.toBe(4321);
    await expect(resolveSocketGroup('storage-opz', groupFile)).rejects.toThrow(/config api\.socketGroup: group "storage-opz" does not exist/);
  });
});

describe('peers over mutual TLS', () => {
  it('reach another node’s API with this node’s client certificate; without one they are refused', async () => {
    const log = pino({ level: 'silent' });
    const serverTls = new WatchedTls(tlsFiles('api.tls', server), log, { watch: false });
    const api = await startTestApi({ tcpAddress: '127.0.0.1:0', tcpSecurity: { kind: 'mtls', certificates: serverTls } });
    const clientTls = new WatchedTls(tlsFiles('client.tls', client), log, { watch: false });
    const withCert = new GrpcPeerDirectory(log, { tls: clientTls });
    const without = new GrpcPeerDirectory(log);
    try {
      const address = `127.0.0.1:${api.server.ports.tcp!.port}`;
      expect((await withCert.peer(address).nodeInfo()).hostNqn).toBe('nqn.2024-11.io.spdk-conductor:engine:fake-node');
      const error = await without
        .peer(address)
        .nodeInfo({ deadlineMs: 10_000 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConductorError);
      expect((error as ConductorError).message).toMatch(new RegExp(`^node ${address}: `));
      expect(api.domain.calls.filter((c) => c.method === 'nodeInfo')).toHaveLength(1);
    } finally {
      withCert.close();
      without.close();
      await api.close();
    }
  });
});

describe('certificate files followed in place', () => {
  it('follows a Kubernetes secret volume: files behind a symlinked directory swapped atomically', async () => {
    const root = tempDir('k8s-secret-');
    const version = (name: string, identity: Identity): void => {
      fs.mkdirSync(path.join(root, name));
      writeIdentity(path.join(root, name), 'tls', identity, ca);
    };
    const first = await ca.issue('node-1', { server: true });
    version('..v1', first);
    fs.symlinkSync('..v1', path.join(root, '..data'));
    for (const [link, target] of [
      ['tls.crt', 'tls.crt'],
      ['tls.key', 'tls.key'],
      ['ca.crt', 'tls-ca.crt'],
    ] as const)
      fs.symlinkSync(path.join('..data', target), path.join(root, link));
    const files = { cert: path.join(root, 'tls.crt'), key: path.join(root, 'tls.key'), ca: path.join(root, 'ca.crt') };
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const watched = new WatchedTls(tlsFiles('api.tls', files), log, { watch: true, pollMs: 250 });
    const served: string[] = [];
    watched.addIdentityCertificateListener((update) => update && served.push(new X509Certificate(update.certificate).serialNumber));
    try {
      expect(watched.summary.serial).toBe(first.serial.toUpperCase());
      const second = await ca.issue('node-1', { server: true });
      version('..v2', second);
      fs.symlinkSync('..v2', path.join(root, '..data_tmp'));
      fs.renameSync(path.join(root, '..data_tmp'), path.join(root, '..data'));
      fs.rmSync(path.join(root, '..v1'), { recursive: true });
      await waitFor('the swapped identity to be in use', () => watched.summary.serial === second.serial.toUpperCase(), 10_000);
      expect(served).toEqual([first.serial.toUpperCase(), second.serial.toUpperCase()]);
      expect(lines.find((l) => l.msg === 'certificate files reloaded; new connections use them')).toMatchObject({ now: { serial: second.serial.toUpperCase() } });
    } finally {
      watched.close();
    }
  });
});

describe('a rebuild whose nodes call each other over mutual TLS', () => {
  it('copies the snapshots from peer to peer (the snapshot-preserving path needs every peer call)', async () => {
    const tlsEnv = { CONDUCTOR_API_TCP_INSECURE: 'false', ...serverTlsEnv(server), CONDUCTOR_CLIENT_TLS_CERT: client.cert, CONDUCTOR_CLIENT_TLS_KEY: client.key, CONDUCTOR_CLIENT_TLS_CA: client.ca };
    const size = 16 * MIB;
    const fixtures: NodeFixture[] = [];
    try {
      const nodes = await Promise.all(
        [0, 1].map(async () => {
          const portMin = portBlock();
          const fixture = await startNode({ portMin, api: true, env: { ...tlsEnv, CONDUCTOR_ENGINE_HOST_NQN: `${ENGINE_HOST_NQN}-${portMin}` } });
          fixtures.push(fixture);
          await fixture.node.diskCreate({ name: 'd', path: fixture.diskFile('d', 256) });
          return fixture;
        }),
      );
      const engineNode = await startNode({ portMin: portBlock(), api: true, env: { ...tlsEnv, CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST_NQN, ...FAST_BUDGET } });
      fixtures.push(engineNode);
      const member = async (i: number, name: string): Promise<EngineReplicaSpec> => {
        const info = await nodes[i]!.node.replicaCreate(name, 'd', size, undefined, [ENGINE_HOST_NQN]);
        return { name, kind: 'remote', address: '127.0.0.1', port: info.export!.port, nqn: info.export!.nqn, apiAddress: nodes[i]!.apiAddress! };
      };
      const members = [await member(0, 'tls-r0'), await member(1, 'tls-r1')];
      await engineNode.node.engineCreate({ name: 'tls', sizeBytes: size, replicas: members, frontend: 'export-only', hostNqns: [HOST_NQN] });
      await Promise.all(members.map((m, i) => nodes[i]!.node.snapshotCreate({ replicaName: m.name, name: 's1', labels: { volume: 'tls' } })));

      await engineNode.node.engineReplicaRemove('tls', 'tls-r1');
      await engineNode.node.engineReplicaAdd('tls', await member(1, 'tls-r1b'));
      const rebuild = await until('the rebuild to end', 60_000, async () => {
        const r = await engineNode.node.rebuildGet('tls', 'tls-r1b');
        return ['done', 'failed', 'cancelled'].includes(r.state) && r;
      });
      expect(rebuild.state, rebuild.reason).toBe('done');
      expect(rebuild.path, rebuild.pathReason).toBe('snapshot-preserving');
      expect(rebuild.snapshots.map((s) => [s.name, s.state])).toEqual([['s1', 'copied']]);
      expect((await nodes[1]!.node.snapshotList('tls-r1b')).map((s) => s.name)).toEqual(['s1']);
    } finally {
      for (const fixture of fixtures.reverse()) await fixture.close();
    }
  }, 120_000);
});
