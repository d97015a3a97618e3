/**
 * Issue 15 item 5, in the simulator process: an object is registered by its create at once but
 * made whole through messages a poll later (subsystem.c's start on the poll groups, bdev_raid.c's
 * superblock reads before the raid bdev registers). Requests in the create's poll, from the same
 * or another connection, see it half-made. A 400 ms poll puts two connections' writes in one poll
 * without racing it: each exchange starts right after an answer, i.e. right after a poll.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RawConn } from '../helpers/fidelity/raw-conn.js';
import { SimClient } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';

const POLL_MS = 400;
const NQN = 'nqn.2016-06.io.spdk:same-poll';

let sim: RunningSim | null = null;
const conns: RawConn[] = [];
let client: SimClient | null = null;

afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  client?.close();
  client = null;
  await sim?.stop();
  sim = null;
});

async function start(): Promise<{ rpc: SimClient; one: RawConn; two: RawConn }> {
  sim = await startSim({ name: 'SP', args: ['--poll-ms', String(POLL_MS)] });
  client = await SimClient.connect(sim.socket);
  // One new connection is accepted per poll: open both before the exchanges.
  const one = await RawConn.open(sim.socket);
  const two = await RawConn.open(sim.socket);
  conns.push(one, two);
  await client.call('spdk_get_version');
  return { rpc: client, one, two };
}

const req = (id: number, method: string, params?: unknown) => JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });

/** Answers by id (they may come in any order, a slow create after the others). */
async function answers(conn: RawConn, count: number): Promise<Map<number, { result?: unknown; error?: { code: number; message: string } }>> {
  const text = await conn.collect(count, 3 * POLL_MS);
  const out = new Map<number, { result?: unknown; error?: { code: number; message: string } }>();
  for (const line of text.trim().split('\n')) {
    const a = JSON.parse(line) as { id: number; result?: unknown; error?: { code: number; message: string } };
    out.set(a.id, a);
  }
  return out;
}

const INTERNAL = { code: -32603, message: 'Internal error' };

describe('requests in the poll of their object create (issue 15 item 5)', () => {
  it('a subsystem is listed but every state change fails, from any connection, until the next poll', async () => {
    const { rpc, one, two } = await start();
    await rpc.call('bdev_malloc_create', { name: 'm0', num_blocks: 1024, block_size: 4096 });
    await rpc.call('spdk_get_version'); // answered right after a poll: the next writes share one
    one.write(req(1, 'nvmf_create_subsystem', { nqn: NQN, allow_any_host: true }) + req(2, 'nvmf_get_subsystems', { nqn: NQN }) + req(3, 'nvmf_subsystem_get_controllers', { nqn: NQN }));
    two.write(req(11, 'nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'm0' } }) + req(12, 'nvmf_delete_subsystem', { nqn: NQN }) + req(13, 'nvmf_subsystem_get_listeners', { nqn: NQN }));
    const [a, b] = await Promise.all([answers(one, 3), answers(two, 3)]);
    expect(a.get(1)!.result).toBe(true);
    // Listed as created, nothing in it yet (the empty view).
    expect(a.get(2)!.result).toMatchObject([{ nqn: NQN, namespaces: [], listen_addresses: [], hosts: [] }]);
    expect(a.get(3)!.error).toEqual(INTERNAL);
    expect(b.get(11)!.error).toEqual(INTERNAL);
    expect(b.get(12)!.error).toEqual({ code: -32603, message: 'Subsystem currently in another state change try again later.' });
    expect(b.get(13)!.error).toEqual(INTERNAL);
    // Nothing was changed by the refused calls: the bdev is free, and a poll later all succeed.
    const [bdev] = await rpc.call<Array<{ claimed: boolean }>>('bdev_get_bdevs', { name: 'm0' });
    expect(bdev!.claimed).toBe(false);
    expect(await rpc.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'm0' } })).toBe(1);
    expect(await rpc.call('nvmf_subsystem_get_controllers', { nqn: NQN })).toEqual([]);
    expect(await rpc.call('nvmf_delete_subsystem', { nqn: NQN })).toBe(true);
  });

  it('a raid is listed configuring with its members claimed, and its bdev is not there yet', async () => {
    const { rpc, one, two } = await start();
    for (const name of ['m0', 'm1']) await rpc.call('bdev_malloc_create', { name, num_blocks: 1024, block_size: 4096 });
    await rpc.call('nvmf_create_subsystem', { nqn: NQN, allow_any_host: true });
    await rpc.call('spdk_get_version');
    one.write(
      req(1, 'bdev_raid_create', { name: 'rx', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] }) + req(2, 'bdev_raid_get_bdevs', { category: 'all' }) + req(3, 'bdev_get_bdevs', { name: 'rx' }),
    );
    two.write(req(11, 'nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'm1' } }) + req(12, 'bdev_raid_get_bdevs', { category: 'online' }));
    const [a, b] = await Promise.all([answers(one, 3), answers(two, 2)]);
    expect(a.get(1)!.result).toBe(true);
    expect(a.get(2)!.result).toMatchObject([{ name: 'rx', state: 'configuring', num_base_bdevs_discovered: 0, num_base_bdevs_operational: 2 }]);
    expect(a.get(3)!.error).toEqual({ code: -19, message: 'No such device' });
    // The member is already the raid's: nvmf cannot claim it.
    expect(b.get(11)!.error).toEqual({ code: -32602, message: 'Invalid parameters' });
    expect(b.get(12)!.result).toEqual([]);
    const [raid] = await rpc.call<Array<{ state: string; num_base_bdevs_discovered: number }>>('bdev_raid_get_bdevs', { category: 'all' });
    expect(raid).toMatchObject({ state: 'online', num_base_bdevs_discovered: 2 });
    const [m1] = await rpc.call<Array<{ claimed: boolean; claim_type: string }>>('bdev_get_bdevs', { name: 'm1' });
    expect(m1).toMatchObject({ claimed: true, claim_type: 'exclusive_write' });
    expect(await rpc.call('bdev_get_bdevs', { name: 'rx' })).toHaveLength(1);
  });
});
