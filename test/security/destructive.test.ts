/**
 * Issue 11, items 3-5: what a call may destroy. Real services on real simulator processes, called
 * over gRPC. A refused DiskCreate leaves the file's bytes exactly as they were (SHA-256 before and
 * after) and spdk_tgt without a new object; an object in use is refused naming its user and the
 * engine stays healthy, unless the caller forces it; an engine create with members that cannot
 * carry it is refused before anything is made.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { execa } from 'execa';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, invoke, isServiceError, type ApiClients } from '../../src/api/client.js';
import { ERROR_CODE_TRAILER } from '../../src/api/status.js';
import { loadConfig } from '../../src/config/load.js';
import { alias, headLvolName } from '../../src/domain/node/naming.js';
import { SpdkClient } from '../../src/spdk/client.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { ENGINE_HOST_NQN, engineNode, replicaNode, type ReplicaNode, until } from '../engine/helpers/cluster.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startSim } from '../sim/helpers/start-sim.js';

const MIB = 1024 * 1024;
const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:0b9f1f5c-1111-4000-8000-00000000feed';

function clientsOf(node: NodeFixture): ApiClients {
  return createApiClients({ unixSocket: path.join(node.dir, 'api.sock') });
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A sparse file of `sizeMib` with `writes` applied: [offset, bytes]. */
function fileWith(dir: string, name: string, sizeMib: number, writes: Array<[number, Buffer]> = []): string {
  const file = path.join(dir, name);
  const fd = fs.openSync(file, 'w');
  fs.ftruncateSync(fd, sizeMib * MIB);
  for (const [offset, bytes] of writes) fs.writeSync(fd, bytes, 0, bytes.length, offset);
  fs.closeSync(fd);
  return file;
}

/** The failed call's gRPC status, conductor code and message. */
async function refusal(call: Promise<unknown>): Promise<{ code: number; conductor: string; message: string }> {
  try {
    await call;
  } catch (error) {
    if (!isServiceError(error)) throw error;
    return { code: error.code, conductor: String(error.metadata.get(ERROR_CODE_TRAILER)[0] ?? ''), message: error.details };
  }
  throw new Error('the call succeeded; a refusal was expected');
}

/** What spdk_tgt has, in names: the bdevs, subsystems, raids and controllers. */
async function spdkObjects(client: SpdkClient): Promise<string[]> {
  const bdevs = await client.call<Array<{ name: string }>>('bdev_get_bdevs', {});
  const subsystems = await client.call<Array<{ nqn: string }>>('nvmf_get_subsystems', {});
  const raids = await client.call<Array<{ name: string }>>('bdev_raid_get_bdevs', { category: 'all' });
  const controllers = await client.call<Array<{ name: string }>>('bdev_nvme_get_controllers', {});
  return [...bdevs.map((b) => `bdev ${b.name}`), ...subsystems.map((s) => `subsystem ${s.nqn}`), ...raids.map((r) => `raid ${r.name}`), ...controllers.map((c) => `controller ${c.name}`)].sort();
}

describe('DiskCreate: paths and contents', () => {
  let node: NodeFixture;
  let api: ApiClients;
  let outside: string;

  beforeAll(async () => {
    node = await startNode();
    api = clientsOf(node);
    outside = tempDir('destructive-outside-');
  }, 60_000);

  afterAll(async () => {
    api?.close();
    await node?.close();
  });

  /** DiskCreate is refused with `grpcCode`/`code`, the file is unchanged, spdk_tgt gained nothing. */
  async function refused(request: { name: string; path: string }, grpcCode: number, code: string, file?: string): Promise<string> {
    const before = file ? sha256(file) : undefined;
    const objects = await spdkObjects(node.client);
    const answer = await refusal(invoke(api.disks, 'DiskCreate', { ...request, kind: 'DISK_KIND_AIO' }));
    expect([answer.code, answer.conductor], answer.message).toEqual([grpcCode, code]);
    if (file) expect(sha256(file)).toBe(before);
    expect(await spdkObjects(node.client)).toEqual(objects);
    return answer.message;
  }

  it('refuses relative, ".." and over-long paths before touching anything, echoing at most a short prefix', async () => {
    await refused({ name: 'rel', path: 'disk.img' }, status.INVALID_ARGUMENT, 'INVALID_PATH');
    const climbing = fileWith(outside, 'climb.img', 64, [[0, Buffer.from('precious')]]);
    await refused({ name: 'dots', path: `${node.dir}/../${path.basename(outside)}/climb.img` }, status.INVALID_ARGUMENT, 'INVALID_PATH', climbing);
    const long = await refused({ name: 'long', path: `/${'a'.repeat(8000)}` }, status.INVALID_ARGUMENT, 'INVALID_PATH');
    expect(long.length).toBeLessThan(200);
    const longRelative = await refused({ name: 'long', path: 'b'.repeat(3000) }, status.INVALID_ARGUMENT, 'INVALID_PATH');
    expect(longRelative.length).toBeLessThan(300);
  });

  it('refuses a path outside the allowed prefixes, also through a symlink inside them', async () => {
    const target = fileWith(outside, 'victim.img', 64);
    await refused({ name: 'out', path: target }, status.FAILED_PRECONDITION, 'DISK_PATH_NOT_ALLOWED', target);
    const link = path.join(node.dir, 'innocent.img');
    fs.symlinkSync(target, link);
    const message = await refused({ name: 'link', path: link }, status.FAILED_PRECONDITION, 'DISK_PATH_NOT_ALLOWED', target);
    expect(message).toContain(`resolved to ${JSON.stringify(target)}`);
  });

  it('refuses a 64 MiB file holding data, in its first or its last MiB', async () => {
    const head = fileWith(node.dir, 'data-head.img', 64, [[4096, randomBytes(64 * 1024)]]);
    expect(await refused({ name: 'head', path: head }, status.FAILED_PRECONDITION, 'DISK_NOT_EMPTY', head)).toContain('non-zero data at offset 4096');
    const tail = fileWith(node.dir, 'data-tail.img', 64, [[64 * MIB - 100, Buffer.from('the end')]]);
    expect(await refused({ name: 'tail', path: tail }, status.FAILED_PRECONDITION, 'DISK_NOT_EMPTY', tail)).toContain(`non-zero data at offset ${64 * MIB - 100}`);
  });

  it('names the filesystem or partition table it finds: ext4, xfs, GPT', async () => {
    // An ext4 superblock: magic 0xEF53 at 1024 + 0x38, incompatible features extents | flex_bg.
    const ext4Super = Buffer.alloc(1024);
    ext4Super.writeUInt16LE(0xef53, 0x38);
    ext4Super.writeUInt32LE(0x40 | 0x200, 0x60);
    const ext4 = fileWith(node.dir, 'ext4.img', 64, [[1024, ext4Super]]);
    expect(await refused({ name: 'ext4', path: ext4 }, status.FAILED_PRECONDITION, 'DISK_NOT_EMPTY', ext4)).toContain('ext4 filesystem signature at offset 1080');
    const xfs = fileWith(node.dir, 'xfs.img', 64, [[0, Buffer.from('XFSB\0\0\x10\0')]]);
    expect(await refused({ name: 'xfs', path: xfs }, status.FAILED_PRECONDITION, 'DISK_NOT_EMPTY', xfs)).toContain('xfs filesystem signature at offset 0');
    // A protective MBR and the GPT header in LBA 1.
    const gpt = fileWith(node.dir, 'gpt.img', 64, [
      [510, Buffer.from([0x55, 0xaa])],
      [512, Buffer.from('EFI PART')],
    ]);
    expect(await refused({ name: 'gpt', path: gpt }, status.FAILED_PRECONDITION, 'DISK_NOT_EMPTY', gpt)).toContain('GPT partition table header at offset 512');
  });

  it('refuses a foreign lvstore (made by another simulator) and adopts one made under this disk name', async () => {
    const foreign = fileWith(node.dir, 'foreign.img', 64);
    const mine = fileWith(node.dir, 'mine.img', 64);
    const other = await startSim({ name: 'other' });
    const rpc = new SpdkClient({ socketPath: other.socket, logger: pino({ level: 'silent' }) });
    try {
      for (const [bdev, file, lvs] of [
        ['f', foreign, 'team-b-store'],
        ['m', mine, 'lvs.mine'],
      ] as const) {
        await rpc.call('bdev_aio_create', { name: bdev, filename: file, block_size: 4096 });
        await rpc.call('bdev_lvol_create_lvstore', { bdev_name: bdev, lvs_name: lvs, cluster_sz: MIB });
        await rpc.call('bdev_aio_delete', { name: bdev });
      }
    } finally {
      await rpc.close();
      await other.stop();
    }
    expect(await refused({ name: 'foreign', path: foreign }, status.FAILED_PRECONDITION, 'DISK_NOT_EMPTY', foreign)).toContain('lvstore named "team-b-store"');
    const adopted = await invoke(api.disks, 'DiskCreate', { name: 'mine', path: mine, kind: 'DISK_KIND_AIO' });
    expect([adopted.adopted, adopted.lvstoreName]).toEqual([true, 'lvs.mine']);
    // Deleted without wipe, our lvstore stays on the file and is adopted again.
    await invoke(api.disks, 'DiskDelete', { name: 'mine' });
    expect((await invoke(api.disks, 'DiskCreate', { name: 'mine', path: mine, kind: 'DISK_KIND_AIO' })).adopted).toBe(true);
    await invoke(api.disks, 'DiskDelete', { name: 'mine', wipe: true });
  });

  it('reads the name of an lvstore in the format of SPDK itself (made by hand, as lib/blob/blobstore.h lays it out)', async () => {
    const MD_START = 3;
    const superBlock = Buffer.alloc(4096);
    superBlock.write('SPDKBLOB', 0, 'latin1');
    superBlock.writeUInt32LE(3, 8); // version
    superBlock.writeUInt32LE(4096, 12); // length
    superBlock.writeBigUInt64LE((1n << 32n) | 0n, 20); // the super blob: metadata page 0
    superBlock.writeUInt32LE(MIB, 28); // cluster size
    superBlock.writeUInt32LE(MD_START, 48);
    superBlock.write('LVOLSTORE', 56, 'latin1');
    superBlock.writeUInt32LE(4096, 92); // md_page_size
    // The super blob's page: id, sequence, then descriptors (type u8, length u32, then the xattr's
    // name and value lengths, name, value), and the next page (none) at 4088.
    const page = Buffer.alloc(4096);
    page.writeBigUInt64LE(1n << 32n, 0);
    let at = 16;
    for (const [name, value] of [
      ['uuid', Buffer.from('0d7c4a52-64a1-4bb6-9c4a-3f5d2b1e7a90\0')],
      ['name', Buffer.from('made-by-hand\0')],
    ] as const) {
      page.writeUInt8(2, at);
      page.writeUInt32LE(4 + name.length + value.length, at + 1);
      page.writeUInt16LE(name.length, at + 5);
      page.writeUInt16LE(value.length, at + 7);
      page.write(name, at + 9, 'latin1');
      value.copy(page, at + 9 + name.length);
      at += 9 + name.length + value.length;
    }
    page.writeUInt32LE(0xffffffff, 4088);
    const file = fileWith(node.dir, 'spdk-format.img', 64, [
      [0, superBlock],
      [MD_START * 4096, page],
    ]);
    expect(await refused({ name: 'hand', path: file }, status.FAILED_PRECONDITION, 'DISK_NOT_EMPTY', file)).toContain('an lvstore named "made-by-hand"');
  });

  it('on the command line: refused with exit 7 and the code, made with --wipe', async () => {
    const file = fileWith(node.dir, 'cli.img', 64, [[0, Buffer.from('XFSB')]]);
    const before = sha256(file);
    const cli = (args: string[]) => execa(process.execPath, [CLI, ...args], { reject: false, extendEnv: false, timeout: 30_000, env: { CONDUCTOR_API_SOCKET: path.join(node.dir, 'api.sock') } });
    const refusedRun = await cli(['disk', 'create', 'cli', '--path', file]);
    expect([refusedRun.exitCode, refusedRun.stderr]).toEqual([
      7,
      `spdk-conductor: path ${JSON.stringify(file)} holds xfs filesystem signature at offset 0; refusing to touch it (create with wipe to destroy it) [DISK_NOT_EMPTY]`,
    ]);
    expect(sha256(file)).toBe(before);
    const made = await cli(['disk', 'create', 'cli', '--path', file, '--wipe']);
    expect(made.exitCode, made.stderr).toBe(0);
    expect((await cli(['disk', 'delete', 'cli', '--wipe'])).exitCode).toBe(0);
  });

  it('with wipe destroys what it found and makes the disk', async () => {
    const ext4Super = Buffer.alloc(1024);
    ext4Super.writeUInt16LE(0xef53, 0x38);
    const file = fileWith(node.dir, 'wipe-me.img', 64, [
      [1024, ext4Super],
      [64 * MIB - 10, Buffer.from('backup')],
    ]);
    const disk = await invoke(api.disks, 'DiskCreate', { name: 'wiped', path: file, kind: 'DISK_KIND_AIO', wipe: true });
    expect([disk.name, disk.adopted]).toEqual(['wiped', false]);
    expect(
      fs
        .readFileSync(file)
        .subarray(64 * MIB - MIB)
        .every((b) => b === 0),
    ).toBe(true);
    // Wipe never reaches a file another disk has open, whatever lvstore it finds there.
    const before = sha256(file);
    const twin = await refusal(invoke(api.disks, 'DiskCreate', { name: 'twin', path: file, kind: 'DISK_KIND_AIO', wipe: true }));
    expect([twin.code, twin.conductor, twin.message]).toEqual([
      status.FAILED_PRECONDITION,
      'DISK_IN_USE',
      `path ${JSON.stringify(file)} is open in spdk_tgt as bdev ${disk.bdevName} (disk wiped); delete that first`,
    ]);
    expect(sha256(file)).toBe(before);
    await invoke(api.disks, 'DiskDelete', { name: 'wiped', wipe: true });
  });
});

describe('disk.allowedPrefixes', () => {
  it('refuses a malformed list at start, naming the key', () => {
    for (const bad of ['relative/dir', '/ok,../up', ' , ']) expect(() => loadConfig({ env: { CONDUCTOR_DISK_ALLOWED_PREFIXES: bad } }), bad).toThrow(/disk\.allowedPrefixes/);
  });

  it('replaces the defaults: the state directory is no longer allowed, the configured one is', async () => {
    const allowed = tempDir('destructive-allowed-');
    const node = await startNode({ env: { CONDUCTOR_DISK_ALLOWED_PREFIXES: `/nonexistent/place,${allowed}` } });
    const api = clientsOf(node);
    try {
      const inStateDir = node.diskFile('beside-state', 64);
      const answer = await refusal(invoke(api.disks, 'DiskCreate', { name: 'a', path: inStateDir, kind: 'DISK_KIND_AIO' }));
      expect([answer.code, answer.conductor]).toEqual([status.FAILED_PRECONDITION, 'DISK_PATH_NOT_ALLOWED']);
      expect(answer.message).toContain(`(/nonexistent/place, ${allowed})`);
      const disk = await invoke(api.disks, 'DiskCreate', { name: 'b', path: fileWith(allowed, 'b.img', 64), kind: 'DISK_KIND_AIO' });
      expect(disk.name).toBe('b');
    } finally {
      api.close();
      await node.close();
    }
  }, 60_000);
});

describe('objects in use', () => {
  let engine: NodeFixture;
  let remote: ReplicaNode;
  let api: ApiClients;
  let remoteApi: ApiClients;

  beforeAll(async () => {
    [engine, remote] = await Promise.all([engineNode(), replicaNode('b', 'r1', 64 * MIB)]);
    api = clientsOf(engine);
    remoteApi = clientsOf(remote.fixture);
    await invoke(api.disks, 'DiskCreate', { name: 'd', path: engine.diskFile('d', 256), kind: 'DISK_KIND_AIO' });
    for (const [name, size] of [
      ['l1', 64],
      ['l2', 64],
      ['l3', 32],
    ] as const) {
      await invoke(api.replicas, 'ReplicaCreate', { name, diskName: 'd', sizeBytes: size * MIB });
    }
    await invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'l1', name: 's1' });
    const spec = remote.spec as { name: string; address: string; port: number; nqn: string };
    await invoke(api.engines, 'EngineCreate', {
      name: 'vol',
      sizeBytes: 64 * MIB,
      replicas: [{ local: { name: 'l1' } }, { remote: { name: spec.name, address: spec.address, port: spec.port, nqn: spec.nqn } }],
      frontend: 'FRONTEND_KIND_EXPORT_ONLY',
      hostNqns: [HOST],
    });
  }, 90_000);

  afterAll(async () => {
    api?.close();
    remoteApi?.close();
    await Promise.all([engine?.close(), remote?.fixture.close()]);
  });

  async function healthy(): Promise<void> {
    const info = await invoke(api.engines, 'EngineGet', { name: 'vol' });
    expect(info.state, info.reason).toBe('ENGINE_STATE_HEALTHY');
  }

  it('refuses delete, expand and revert of a local engine member, naming the engine', async () => {
    for (const call of [
      invoke(api.replicas, 'ReplicaDelete', { name: 'l1' }),
      invoke(api.replicas, 'ReplicaExpand', { name: 'l1', sizeBytes: 96 * MIB }),
      invoke(api.snapshots, 'SnapshotRevert', { replicaName: 'l1', name: 's1' }),
    ]) {
      const answer = await refusal(call);
      expect([answer.code, answer.conductor], answer.message).toEqual([status.FAILED_PRECONDITION, 'REPLICA_IN_USE']);
      expect(answer.message).toContain('member of engine vol');
    }
    expect((await invoke(api.replicas, 'ReplicaGet', { name: 'l1' })).sizeBytes).toBe(64 * MIB);
    await healthy();
  });

  it('refuses to delete the disk under a member, with or without wipe', async () => {
    for (const wipe of [false, true]) {
      const answer = await refusal(invoke(api.disks, 'DiskDelete', { name: 'd', wipe }));
      expect([answer.code, answer.conductor], answer.message).toEqual([status.FAILED_PRECONDITION, 'DISK_IN_USE']);
      expect(answer.message).toContain('l1 (engine vol)');
    }
    await healthy();
  });

  it('refuses delete and expand of an exported replica with a connected host, naming the host', async () => {
    for (const call of [invoke(remoteApi.replicas, 'ReplicaDelete', { name: 'r1' }), invoke(remoteApi.replicas, 'ReplicaExpand', { name: 'r1', sizeBytes: 96 * MIB })]) {
      const answer = await refusal(call);
      expect([answer.code, answer.conductor], answer.message).toEqual([status.FAILED_PRECONDITION, 'REPLICA_IN_USE']);
      expect(answer.message).toContain(`host ${ENGINE_HOST_NQN} connected to its export`);
    }
    await healthy();
  });

  it('answers NOT_FOUND for the removal of a replica that is not a member, and changes nothing', async () => {
    const answer = await refusal(invoke(api.engines, 'EngineReplicaRemove', { name: 'vol', replicaName: 'l2' }));
    expect([answer.code, answer.conductor]).toEqual([status.NOT_FOUND, 'ENGINE_MEMBER_NOT_FOUND']);
    expect((await invoke(api.engines, 'EngineGet', { name: 'vol' })).members.map((m) => m.name).sort()).toEqual(['l1', 'r1']);
    await healthy();
  });

  it('refuses an engine larger than its smallest member, with the numbers, leaving nothing behind', async () => {
    const objects = await spdkObjects(engine.client);
    const answer = await refusal(
      invoke(api.engines, 'EngineCreate', {
        name: 'big',
        sizeBytes: 64 * MIB,
        replicas: [{ local: { name: 'l2' } }, { local: { name: 'l3' } }],
        frontend: 'FRONTEND_KIND_EXPORT_ONLY',
        hostNqns: [HOST],
      }),
    );
    expect([answer.code, answer.conductor]).toEqual([status.INVALID_ARGUMENT, 'INVALID_SIZE']);
    expect(answer.message).toContain(`engine big of ${64 * MIB} bytes does not fit on replica l3 of ${32 * MIB} bytes`);
    expect(await spdkObjects(engine.client)).toEqual(objects);
    expect((await invoke(api.engines, 'EngineList', {})).engines.map((e) => e.name)).toEqual(['vol']);
  });

  it('refuses a remote member smaller than the engine after attaching it, and detaches it again', async () => {
    const small = await invoke(remoteApi.replicas, 'ReplicaCreate', { name: 'rsmall', diskName: 'd', sizeBytes: 16 * MIB, hostNqns: [ENGINE_HOST_NQN] });
    const objects = await spdkObjects(engine.client);
    const answer = await refusal(
      invoke(api.engines, 'EngineCreate', {
        name: 'small',
        sizeBytes: 32 * MIB,
        replicas: [{ local: { name: 'l3' } }, { remote: { name: 'rsmall', address: '127.0.0.1', port: small.export!.port, nqn: small.export!.nqn } }],
        frontend: 'FRONTEND_KIND_EXPORT_ONLY',
        hostNqns: [HOST],
      }),
    );
    expect([answer.code, answer.conductor]).toEqual([status.INVALID_ARGUMENT, 'INVALID_SIZE']);
    expect(answer.message).toContain(`replica rsmall of ${16 * MIB} bytes`);
    expect(await spdkObjects(engine.client)).toEqual(objects);
    // The target may list the detached controller a moment longer: this cleanup does not wait for it.
    await invoke(remoteApi.replicas, 'ReplicaDelete', { name: 'rsmall', force: true });
  });

  it('refuses a missing local replica with NOT_FOUND and a claimed one naming its engine', async () => {
    const objects = await spdkObjects(engine.client);
    const create = (replicas: string[]) =>
      refusal(
        invoke(api.engines, 'EngineCreate', {
          name: 'second',
          sizeBytes: 32 * MIB,
          replicas: replicas.map((name) => ({ local: { name } })),
          frontend: 'FRONTEND_KIND_EXPORT_ONLY',
          hostNqns: [HOST],
        }),
      );
    const missing = await create(['l2', 'ghost']);
    expect([missing.code, missing.conductor]).toEqual([status.NOT_FOUND, 'REPLICA_NOT_FOUND']);
    const claimed = await create(['l2', 'l1']);
    expect([claimed.code, claimed.conductor]).toEqual([status.FAILED_PRECONDITION, 'REPLICA_CLAIMED']);
    expect(claimed.message).toContain('member of engine vol');
    expect(await spdkObjects(engine.client)).toEqual(objects);
    await healthy();
  });

  it('refuses a local replica that a raid in spdk_tgt holds, naming the raid, and changes nothing', async () => {
    // Made behind the service's back, as a raid examine assembles from a superblock: configuring, its other member absent.
    await engine.client.call('bdev_raid_create', { name: 'stray', raid_level: 'raid1', base_bdevs: [alias('d', headLvolName('l2')), 'absent'], strip_size_kb: 0 });
    try {
      const objects = await spdkObjects(engine.client);
      const answer = await refusal(
        invoke(api.engines, 'EngineCreate', {
          name: 'second',
          sizeBytes: 32 * MIB,
          replicas: [{ local: { name: 'l3' } }, { local: { name: 'l2' } }],
          frontend: 'FRONTEND_KIND_EXPORT_ONLY',
          hostNqns: [HOST],
        }),
      );
      expect([answer.code, answer.conductor]).toEqual([status.FAILED_PRECONDITION, 'REPLICA_CLAIMED']);
      expect(answer.message).toContain('replica l2 is in raid stray in spdk_tgt; remove it there first');
      expect(await spdkObjects(engine.client)).toEqual(objects);
    } finally {
      await engine.client.call('bdev_raid_delete', { name: 'stray' });
    }
    await healthy();
  });

  it('goes ahead with force: delete of a remote member with its host connected, expand of a local member', async () => {
    await invoke(remoteApi.replicas, 'ReplicaDelete', { name: 'r1', force: true });
    expect((await refusal(invoke(remoteApi.replicas, 'ReplicaGet', { name: 'r1' }))).code).toBe(status.NOT_FOUND);
    await until('the engine to lose r1', 20_000, async () => (await invoke(api.engines, 'EngineGet', { name: 'vol' })).members.find((m) => m.name === 'r1')?.state !== 'MEMBER_STATE_HEALTHY');
    const expanded = await invoke(api.replicas, 'ReplicaExpand', { name: 'l1', sizeBytes: 96 * MIB, force: true });
    expect(expanded.sizeBytes).toBe(96 * MIB);
  });
});
