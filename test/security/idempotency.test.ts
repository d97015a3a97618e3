/**
 * Issue 11, item 10, through the real API and the built CLI of a real service on the simulator:
 * ReplicaCreate of an existing name is idempotent only when identical, and ReplicaExpose changes
 * an exposed replica's hosts only as its mode says (the CLI saying which happened). What spdk_tgt
 * allows is read from spdk_tgt itself.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, invoke, type ApiClients } from '../../src/api/client.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { refusal } from '../helpers/refusal.js';

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');
const MiB = 1024 * 1024;
const DEADLINE = { deadlineMs: 20_000 };
const HOST_A = 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10';
const HOST_B = 'nqn.2014-08.org.nvmexpress:uuid:1a2b3c4d-1f6b-4b8e-9d43-5b2a1e7c9a10';
const HOST_C = 'nqn.2024-11.io.example:host-c';

let node: NodeFixture;
let api: ApiClients;

beforeAll(async () => {
  node = await startNode();
  api = createApiClients({ unixSocket: path.join(node.dir, 'api.sock') });
  await invoke(api.disks, 'DiskCreate', { name: 'd1', path: node.diskFile('d1', 512) }, DEADLINE);
});
afterAll(async () => {
  api?.close();
  await node?.close();
});

/** The hosts spdk_tgt lets into the replica's subsystem, sorted. */
async function allowedInSpdk(replica: string): Promise<string[]> {
  const subsystems = await node.client.call<{ nqn: string; hosts: { nqn: string }[] }[]>('nvmf_get_subsystems');
  const subsystem = subsystems.find((s) => s.nqn.endsWith(`:replica:${replica}`));
  return (subsystem?.hosts ?? []).map((h) => h.nqn).sort();
}

function cli(args: string[]) {
  return execa(process.execPath, [CLI, ...args], { reject: false, env: { CONDUCTOR_API_SOCKET: path.join(node.dir, 'api.sock'), CONDUCTOR_LOG_LEVEL: 'warn' }, extendEnv: false, timeout: 30_000 });
}

describe('ReplicaCreate of an existing name', () => {
  it('answers with the replica only when identical (hosts as a set), else ALREADY_EXISTS naming what differs, changing nothing', async () => {
    const created = await invoke(api.replicas, 'ReplicaCreate', { name: 'r1', diskName: 'd1', sizeBytes: 16 * MiB, hostNqns: [HOST_A, HOST_B] }, DEADLINE);
    const again = await invoke(api.replicas, 'ReplicaCreate', { name: 'r1', diskName: 'd1', sizeBytes: 16 * MiB, hostNqns: [HOST_B, HOST_A] }, DEADLINE);
    expect(again).toEqual(created);

    const otherHosts = await refusal(invoke(api.replicas, 'ReplicaCreate', { name: 'r1', diskName: 'd1', sizeBytes: 16 * MiB, hostNqns: [HOST_C] }, DEADLINE));
    expect(otherHosts).toMatchObject({ code: status.ALREADY_EXISTS, conductorCode: 'REPLICA_EXISTS' });
    expect(otherHosts.details).toContain(`an export to ${HOST_A}, ${HOST_B} (asked ${HOST_C})`);

    const otherSize = await refusal(invoke(api.replicas, 'ReplicaCreate', { name: 'r1', diskName: 'd1', sizeBytes: 32 * MiB, hostNqns: [HOST_A] }, DEADLINE));
    expect(otherSize.details).toMatch(/size 16777216 \(asked 33554432\), an export to .* \(asked .*\)/);

    const noHosts = await refusal(invoke(api.replicas, 'ReplicaCreate', { name: 'r1', diskName: 'd1', sizeBytes: 16 * MiB }, DEADLINE));
    expect(noHosts).toMatchObject({ code: status.ALREADY_EXISTS });
    expect(noHosts.details).toContain('(asked for none)');
    expect(await allowedInSpdk('r1')).toEqual([HOST_A, HOST_B].sort());

    await invoke(api.replicas, 'ReplicaCreate', { name: 'r2', diskName: 'd1', sizeBytes: 16 * MiB }, DEADLINE);
    const exposeByCreate = await refusal(invoke(api.replicas, 'ReplicaCreate', { name: 'r2', diskName: 'd1', sizeBytes: 16 * MiB, hostNqns: [HOST_A] }, DEADLINE));
    expect(exposeByCreate.details).toContain(`no export (asked to expose it to ${HOST_A})`);
    expect((await invoke(api.replicas, 'ReplicaGet', { name: 'r2' }, DEADLINE)).export).toBeNull();
    expect(await allowedInSpdk('r2')).toEqual([]);
  });
});

describe('ReplicaExpose with an explicit mode', () => {
  it('unspecified: makes an export, accepts the same hosts, refuses others with FAILED_PRECONDITION; ADD and REPLACE do what they say', async () => {
    await invoke(api.replicas, 'ReplicaCreate', { name: 'x1', diskName: 'd1', sizeBytes: 16 * MiB }, DEADLINE);
    expect((await invoke(api.replicas, 'ReplicaExpose', { name: 'x1', hostNqns: [HOST_A] }, DEADLINE)).export?.hostNqns).toEqual([HOST_A]);
    expect((await invoke(api.replicas, 'ReplicaExpose', { name: 'x1', hostNqns: [HOST_A], mode: 'EXPOSE_MODE_UNSPECIFIED' }, DEADLINE)).export?.hostNqns).toEqual([HOST_A]);

    const unspecified = await refusal(invoke(api.replicas, 'ReplicaExpose', { name: 'x1', hostNqns: [HOST_B] }, DEADLINE));
    expect(unspecified).toMatchObject({ code: status.FAILED_PRECONDITION, conductorCode: 'EXPOSE_MODE_REQUIRED' });
    expect(unspecified.details).toMatch(/EXPOSE_MODE_ADD .* EXPOSE_MODE_REPLACE/);
    expect(await allowedInSpdk('x1')).toEqual([HOST_A]);

    expect((await invoke(api.replicas, 'ReplicaExpose', { name: 'x1', hostNqns: [HOST_B], mode: 'EXPOSE_MODE_ADD' }, DEADLINE)).export?.hostNqns.sort()).toEqual([HOST_A, HOST_B].sort());
    expect(await allowedInSpdk('x1')).toEqual([HOST_A, HOST_B].sort());
    // Adding hosts it already has changes nothing.
    expect((await invoke(api.replicas, 'ReplicaExpose', { name: 'x1', hostNqns: [HOST_A], mode: 'EXPOSE_MODE_ADD' }, DEADLINE)).export?.hostNqns.sort()).toEqual([HOST_A, HOST_B].sort());

    expect((await invoke(api.replicas, 'ReplicaExpose', { name: 'x1', hostNqns: [HOST_C], mode: 'EXPOSE_MODE_REPLACE' }, DEADLINE)).export?.hostNqns).toEqual([HOST_C]);
    expect(await allowedInSpdk('x1')).toEqual([HOST_C]);

    const unknown = await refusal(invoke(api.replicas, 'ReplicaExpose', { name: 'x1', hostNqns: [HOST_A], mode: 7 as never }, DEADLINE));
    expect(unknown).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(await allowedInSpdk('x1')).toEqual([HOST_C]);
  });

  it('the CLI takes --add, --replace or --remove and says which happened', async () => {
    await invoke(api.replicas, 'ReplicaCreate', { name: 'c1', diskName: 'd1', sizeBytes: 16 * MiB }, DEADLINE);
    const made = await cli(['replica', 'expose', 'c1', '--host', HOST_A]);
    expect(made.exitCode).toBe(0);
    expect(made.stdout.split('\n')[0]).toBe('exposed c1 to 1 host(s)');

    const same = await cli(['replica', 'expose', 'c1', '--host', HOST_A]);
    expect(same.stdout.split('\n')[0]).toBe('unchanged: c1 is already exposed to these hosts');

    const refused = await cli(['replica', 'expose', 'c1', '--host', HOST_B]);
    expect(refused.exitCode).toBe(7);
    expect(refused.stderr).toMatch(/--add|EXPOSE_MODE_ADD/);
    expect(refused.stderr).toContain('[EXPOSE_MODE_REQUIRED]');

    const added = await cli(['replica', 'expose', 'c1', '--host', HOST_B, '--add']);
    expect(added.exitCode).toBe(0);
    expect(added.stdout.split('\n')[0]).toBe(`added 1 host(s) to c1: ${HOST_B}`);

    const replaced = await cli(['replica', 'expose', 'c1', '--host', HOST_C, '--replace']);
    expect(replaced.exitCode).toBe(0);
    expect(replaced.stdout.split('\n')[0]).toBe(`replaced the hosts of c1: added ${HOST_C}; removed ${HOST_A}, ${HOST_B}`);
    expect(await allowedInSpdk('c1')).toEqual([HOST_C]);

    const both = await cli(['replica', 'expose', 'c1', '--host', HOST_A, '--add', '--replace']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('one of --add, --replace and --remove');
    expect(await allowedInSpdk('c1')).toEqual([HOST_C]);

    expect((await cli(['replica', 'expose', 'c1', '--host', HOST_A, '--add'])).exitCode).toBe(0);
    const removed = await cli(['replica', 'expose', 'c1', '--host', HOST_C, '--remove']);
    expect(removed.exitCode).toBe(0);
    expect(removed.stdout.split('\n')[0]).toBe(`removed 1 host(s) from c1: ${HOST_C}`);
    expect(removed.stdout).not.toContain('nvme connect');
    expect(await allowedInSpdk('c1')).toEqual([HOST_A]);

    const withKeys = await cli(['replica', 'expose', 'c1', '--host', `${HOST_A},dhchap-key-file=/nonexistent`, '--remove']);
    expect(withKeys.exitCode).toBe(2);
    expect(withKeys.stderr).toContain('--remove takes host NQNs only');
    const last = await cli(['replica', 'expose', 'c1', '--host', HOST_A, '--remove']);
    expect(last.exitCode).not.toBe(0);
    expect(await allowedInSpdk('c1')).toEqual([HOST_A]);
  });
});
