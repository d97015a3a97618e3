/**
 * The state file records what this node was asked to have, on disk when the call returns: disks
 * and exports follow their creates and deletes; snapshot metadata outlives a spdk_tgt that
 * restarted empty (its lvstore not loaded), and is there again when the disk is; a file of
 * version 1 gets records of what spdk_tgt has. A real simulator process under the service.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type RunningSim } from '../../sim/helpers/start-sim.js';
import { startNode, type NodeFixture } from '../helpers/node-fixture.js';

const MIB = 1024 * 1024;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:8d2a6d6e-1111-4c5e-9c66-5a1b2c3d4e5f';
const HOST2 = 'nqn.2014-08.org.nvmexpress:uuid:8d2a6d6e-2222-4c5e-9c66-5a1b2c3d4e5f';

interface OnDisk {
  version: number;
  disks: Record<string, unknown>;
  exports: Record<string, unknown>;
  snapshots: Record<string, { createdAt: string; labels: Record<string, string> }>;
}

let f: NodeFixture;
/** The simulator that replaced the fixture's when a test killed it. */
let replacement: RunningSim | undefined;

beforeAll(async () => {
  f = await startNode();
});
afterAll(async () => {
  await f.close();
  await replacement?.stop();
});

function onDisk(): OnDisk {
  return JSON.parse(fs.readFileSync(path.join(f.dir, 'state.json'), 'utf8')) as OnDisk;
}

describe('records of disks and exports', () => {
  it('are written before the create returns and removed only by the delete', async () => {
    const file = f.diskFile('d1', 256);
    const disk = await f.node.diskCreate({ name: 'd1', path: file });
    expect(onDisk().disks).toEqual({ d1: { name: 'd1', kind: 'aio', path: file, lvstoreUuid: disk.lvstoreUuid, clusterSize: MIB } });

    const replica = await f.node.replicaCreate('r1', 'd1', 16 * MIB, undefined, [HOST]);
    const port = replica.export!.port;
    expect(onDisk().exports).toEqual({ r1: { replica: 'r1', hostNqns: [HOST], address: '127.0.0.1', port } });
    await f.node.replicaExpose('r1', [HOST, HOST2], undefined, 'add');
    expect(onDisk().exports).toEqual({ r1: { replica: 'r1', hostNqns: [HOST, HOST2], address: '127.0.0.1', port } });
    await f.node.replicaUnexpose('r1');
    expect(onDisk().exports).toEqual({});
    await f.node.replicaExpose('r1', [HOST]);
    expect(Object.keys(onDisk().exports)).toEqual(['r1']);

    await f.node.replicaDelete('r1');
    expect(onDisk().exports).toEqual({});
    expect(Object.keys(onDisk().disks)).toEqual(['d1']);
    await f.node.diskDelete('d1', false);
    expect(onDisk().disks).toEqual({});
  });

  it('a version 1 file gets records of the disks and exports spdk_tgt has at the next start', async () => {
    const file = f.diskFile('d3', 256);
    await f.node.diskCreate({ name: 'd3', path: file });
    const port = (await f.node.replicaCreate('r3', 'd3', 16 * MIB, undefined, [HOST])).export!.port;
    const { disks: _disks, exports: _exports, ...rest } = onDisk();
    fs.writeFileSync(path.join(f.dir, 'state.json'), JSON.stringify({ ...rest, version: 1 }));
    await f.restart();
    const after = onDisk();
    expect(after.version).toBe(2);
    expect(Object.keys(after.disks)).toEqual(['d3']);
    expect(after.exports).toEqual({ r3: { replica: 'r3', hostNqns: [HOST], address: '127.0.0.1', port } });
    await f.node.replicaDelete('r3');
    await f.node.diskDelete('d3', false);
  });
});

describe('snapshot metadata', () => {
  it('is kept when spdk_tgt restarted empty (its lvstore not loaded), and is there again once the disk is', async () => {
    const file = f.diskFile('d2', 256);
    await f.node.diskCreate({ name: 'd2', path: file });
    await f.node.replicaCreate('r2', 'd2', 16 * MIB);
    const made = await f.node.snapshotCreate({ replicaName: 'r2', name: 's1', labels: { app: 'db' } });
    const before = onDisk();
    expect(before.snapshots['r2/s1']).toMatchObject({ labels: { app: 'db' } });

    // spdk_tgt dies and comes back with nothing attached; the service restarts over it.
    await f.sim.kill();
    replacement = await startSim({ name: 'node', socket: f.sim.socket, args: ['--mem-dump', path.join(f.dir, 'mem-dump-2.txt')] });
    await f.restart();
    expect(await f.node.diskList()).toEqual([]);
    const after = onDisk();
    expect(after.snapshots).toEqual(before.snapshots);
    expect(after.disks).toEqual(before.disks);

    const back = await f.node.diskCreate({ name: 'd2', path: file });
    expect(back.adopted).toBe(true);
    const [snapshot] = await f.node.snapshotList('r2');
    expect(snapshot).toMatchObject({ name: 's1', labels: { app: 'db' }, createdAt: made.createdAt });
  });
});
