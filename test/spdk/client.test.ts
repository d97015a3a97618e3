import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { SpdkClient, type SpdkClientOptions } from '../../src/spdk/client.js';
import { SpdkParamsError, SpdkRpcError, SpdkTransportError } from '../../src/errors.js';
import { FakeSpdk, waitFor, type FakeHandler } from './helpers/fake-spdk.js';
import { testContracts } from './helpers/test-contracts.js';

const logger = pino({ level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(handler: FakeHandler, options: Partial<SpdkClientOptions> = {}): Promise<{ server: FakeSpdk; client: SpdkClient }> {
  const server = await new FakeSpdk(FakeSpdk.tempSocket(), handler).start();
  const client = new SpdkClient({ socketPath: server.socketPath, logger, contracts: testContracts(), reconnectMinMs: 5, reconnectMaxMs: 20, ...options });
  cleanups.push(async () => {
    await client.close();
    await server.stop();
  });
  return { server, client };
}

const echoName: FakeHandler = (req, conn) => conn.reply(req, [{ name: (req.params as { name: string }).name }]);

describe('SpdkClient on one connection', () => {
  it('answers 1000 concurrent calls over a single connection, each with its own result', async () => {
    const held: Array<() => void> = [];
    const { server, client } = await setup((req, conn) => {
      // Answer in reverse order of arrival once all are in, so matching by id is exercised.
      held.push(() => conn.reply(req, [{ name: (req.params as { name: string }).name }]));
      if (held.length === 1000) for (const f of held.reverse()) f();
    });
    const names = Array.from({ length: 1000 }, (_, i) => `bdev${i}`);
    const results = await Promise.all(names.map((name) => client.call<Array<{ name: string }>>('bdev_get_bdevs', { name })));
    expect(results.map((r) => r[0]!.name)).toEqual(names);
    expect(server.connections).toBe(1);
    expect(client.stats().inFlight).toBe(0);
  });

  it('reassembles responses split byte by byte', async () => {
    const { client } = await setup((req, conn) => {
      const bytes = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: { version: 'SPDK v26.05 "quoted" \\ back', fields: {} } }) + '\n');
      let i = 0;
      const drip = (): void => {
        if (i < bytes.length) {
          conn.writeRaw(bytes.subarray(i, i + 1));
          i++;
          setImmediate(drip);
        }
      };
      drip();
    });
    await expect(client.call('bdev_get_bdevs', { name: 'x' })).resolves.toEqual({ version: 'SPDK v26.05 "quoted" \\ back', fields: {} });
  });

  it('splits many responses arriving in one chunk, with and without newlines', async () => {
    const pending: Array<{ id: unknown; name: string }> = [];
    const { client } = await setup((req, conn) => {
      pending.push({ id: req.id, name: (req.params as { name: string }).name });
      if (pending.length === 50) {
        const text = pending.map((p, i) => JSON.stringify({ jsonrpc: '2.0', id: p.id, result: [{ name: p.name, s: '}{][' }] }) + (i % 2 ? '\n' : '')).join('');
        conn.writeRaw(text);
      }
    });
    const names = Array.from({ length: 50 }, (_, i) => `b${i}`);
    const results = await Promise.all(names.map((name) => client.call<Array<{ name: string }>>('bdev_get_bdevs', { name })));
    expect(results.map((r) => r[0]!.name)).toEqual(names);
  });

  it('accepts responses with no newline at all', async () => {
    const { client } = await setup((req, conn) => conn.writeRaw(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: true })));
    await expect(client.call('bdev_get_bdevs', { name: 'a' })).resolves.toBe(true);
    await expect(client.call('bdev_get_bdevs', { name: 'b' })).resolves.toBe(true);
  });

  it('matches out-of-order answers to their callers by id', async () => {
    let slow: (() => void) | undefined;
    const { client } = await setup((req, conn) => {
      if ((req.params as { name: string }).name === 'slow') slow = () => conn.reply(req, 'slow-answer');
      else {
        conn.reply(req, 'fast-answer');
        slow?.();
      }
    });
    const slowCall = client.call('bdev_get_bdevs', { name: 'slow' });
    await waitFor('the slow call to reach the server', () => slow !== undefined);
    const fastCall = client.call('bdev_get_bdevs', { name: 'fast' });
    expect(await Promise.all([slowCall, fastCall])).toEqual(['slow-answer', 'fast-answer']);
  });
});

describe('deadlines and aborts', () => {
  it('a passed deadline leaves nothing pending and the late answer reaches nobody', async () => {
    const late: Array<() => void> = [];
    const { server, client } = await setup((req, conn) => {
      if ((req.params as { name: string }).name === 'late') late.push(() => conn.reply(req, 'late-answer'));
      else conn.reply(req, 'own-answer');
    });
    const err = await client.call('bdev_get_bdevs', { name: 'late' }, { deadlineMs: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SpdkTransportError);
    expect((err as SpdkTransportError).failure).toBe('timeout');
    expect(client.stats().inFlight).toBe(0);
    // The late answer arrives while another call waits: that call must get its own answer.
    const next = client.call('bdev_get_bdevs', { name: 'next' });
    late[0]!();
    await expect(next).resolves.toBe('own-answer');
    expect(server.received.map((r) => (r.params as { name: string }).name)).toEqual(['late', 'next']);
  });

  it('an aborted call rejects at once and is forgotten', async () => {
    const { client } = await setup(() => undefined);
    const controller = new AbortController();
    const call = client.call('bdev_get_bdevs', { name: 'x' }, { signal: controller.signal });
    await waitFor('the call to be in flight', () => client.stats().inFlight === 1);
    controller.abort();
    await expect(call).rejects.toMatchObject({ failure: 'aborted' });
    expect(client.stats().inFlight).toBe(0);
  });

  it('slow methods get the longer default deadline', async () => {
    const { client } = await setup(() => undefined, { deadlineMs: 20, slowDeadlineMs: 5_000 });
    const fast = client.call('bdev_get_bdevs', { name: 'x' }).catch((e: unknown) => e);
    const slowController = new AbortController();
    let slowSettled = false;
    const slow = client
      .call('slow_method', undefined, { signal: slowController.signal })
      .catch((e: unknown) => e)
      .finally(() => {
        slowSettled = true;
      });
    expect(await fast).toMatchObject({ failure: 'timeout' });
    // The slow call outlived the ordinary deadline (whether or not a loaded machine had sent it
    // yet: in-flight counts would race the connect); abort it to end the test.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(slowSettled).toBe(false);
    slowController.abort();
    expect(await slow).toMatchObject({ failure: 'aborted' });
  });
});

describe('connection loss', () => {
  it('rejects every pending call at once when the server closes, then reconnects for the next call', async () => {
    const { server, client } = await setup(() => undefined);
    const calls = Array.from({ length: 20 }, (_, i) => client.call('bdev_lvol_create', { lvol_name: `l${i}`, size_in_mib: 1, lvs_name: 'lvs' }).catch((e: unknown) => e));
    await waitFor('20 requests at the server', () => server.received.length === 20);
    server.dropConnections();
    const errors = await Promise.all(calls);
    for (const e of errors) expect(e).toMatchObject({ failure: 'closed' });
    expect(client.stats().inFlight).toBe(0);
    // Creates are not idempotent: none was sent again.
    expect(server.received.length).toBe(20);
    server.handler = echoName;
    await expect(client.call('bdev_get_bdevs', { name: 'after' })).resolves.toEqual([{ name: 'after' }]);
    expect(server.connections).toBe(2);
  });

  it('sends an idempotent call again when the connection died under it', async () => {
    let first = true;
    const { server, client } = await setup((req, conn) => {
      if (first) {
        first = false;
        conn.socket.destroy();
      } else conn.reply(req, [{ name: 'retried' }]);
    });
    await expect(client.call('bdev_get_bdevs', { name: 'x' })).resolves.toEqual([{ name: 'retried' }]);
    expect(server.received.length).toBe(2);
  });

  it('works again after spdk_tgt restarts on the same socket', async () => {
    const { server, client } = await setup(echoName);
    await client.call('bdev_get_bdevs', { name: 'a' });
    await server.stop();
    await expect(client.call('bdev_get_bdevs', { name: 'b' })).rejects.toBeInstanceOf(SpdkTransportError);
    await server.start();
    await waitFor('the background reconnect', () => client.stats().connected);
    await expect(client.call('bdev_get_bdevs', { name: 'c' })).resolves.toEqual([{ name: 'c' }]);
  });

  it('fails fast with no-socket when spdk_tgt is not running', async () => {
    const client = new SpdkClient({ socketPath: FakeSpdk.tempSocket(), logger, contracts: testContracts() });
    cleanups.push(() => client.close());
    const err = await client.call('spdk_get_version').catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: 'no-socket', code: 'SPDK_UNREACHABLE' });
  });
});

describe('what is refused locally', () => {
  it('never sends a request whose params break the schema', async () => {
    const { server, client } = await setup(echoName);
    const bad = [
      client.call('bdev_lvol_create', { lvol_name: 'x' }),
      client.call('bdev_lvol_create', { lvol_name: 'x', size_in_mib: -1 }),
      client.call('bdev_lvol_create', { lvol_name: 'x', size_in_mib: 1, bogus: true }),
      client.call('bdev_get_bdevs', { name: 7 }),
      client.call('no_contract_method', {}),
    ];
    for (const call of bad) await expect(call).rejects.toBeInstanceOf(SpdkParamsError);
    expect(server.received.length).toBe(0);
  });

  it('refuses a request spdk_tgt would drop the connection for', async () => {
    const { server, client } = await setup(echoName);
    await expect(client.call('bdev_get_bdevs', { name: 'x'.repeat(300 * 1024) })).rejects.toMatchObject({ failure: 'too-large' });
    await expect(client.call('bdev_get_many', { names: Array.from({ length: 9000 }, () => 1) })).rejects.toMatchObject({ failure: 'too-large' });
    expect(server.received.length).toBe(0);
    await expect(client.call('bdev_get_bdevs', { name: 'ok' })).resolves.toEqual([{ name: 'ok' }]);
  });

  it('bounds the calls in flight and the queue behind them', async () => {
    const { server, client } = await setup(() => undefined, { maxInFlight: 2, maxQueued: 3 });
    const calls = Array.from({ length: 6 }, (_, i) => client.call('bdev_get_bdevs', { name: `b${i}` }, { deadlineMs: 2_000 }).catch((e: unknown) => e));
    expect(await calls[5]).toMatchObject({ failure: 'overloaded' });
    await waitFor('two in flight', () => server.received.length === 2);
    expect(client.stats()).toMatchObject({ inFlight: 2, queued: 3 });
    await client.close();
    // Closing ends every call at once, queued ones too: none waits out its deadline.
    for (const e of await Promise.all(calls.slice(0, 5))) expect(e).toMatchObject({ failure: 'client-closed' });
  });
});

describe('per-object ordering', () => {
  it('holds a call on an object until the previous call on it was answered, pipelining others', async () => {
    const waiting: Array<() => void> = [];
    const { server, client } = await setup((req, conn) => waiting.push(() => conn.reply(req, true)));
    const create = client.call('nvmf_create_subsystem', { nqn: 'nqn.a' });
    const addNs = client.call('nvmf_subsystem_add_ns', { nqn: 'nqn.a', namespace: { bdev_name: 'x' } });
    const other = client.call('nvmf_create_subsystem', { nqn: 'nqn.b' });
    await waitFor('the two independent creates', () => server.received.length === 2);
    expect(server.received.map((r) => r.method + ' ' + (r.params as { nqn: string }).nqn)).toEqual(['nvmf_create_subsystem nqn.a', 'nvmf_create_subsystem nqn.b']);
    waiting.shift()!();
    await create;
    await waitFor('add_ns after create answered', () => server.received.length === 3);
    expect(server.received[2]!.method).toBe('nvmf_subsystem_add_ns');
    for (const f of waiting) f();
    await Promise.all([addNs, other]);
  });

  it('keeps ordering when an earlier call on the object fails', async () => {
    const { server, client } = await setup((req, conn) => {
      if (req.method === 'nvmf_create_subsystem') conn.replyError(req, -32603, 'Unable to create subsystem nqn.a');
      else conn.reply(req, true);
    });
    const results = await Promise.allSettled([client.call('nvmf_create_subsystem', { nqn: 'nqn.a' }), client.call('nvmf_subsystem_add_ns', { nqn: 'nqn.a', namespace: {} })]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(server.received.map((r) => r.method)).toEqual(['nvmf_create_subsystem', 'nvmf_subsystem_add_ns']);
  });

  it('a call aborted while it waits for its object hands the object on to the next call', async () => {
    const waiting: Array<() => void> = [];
    const { server, client } = await setup((req, conn) => waiting.push(() => conn.reply(req, true)));
    const controller = new AbortController();
    const first = client.call('nvmf_create_subsystem', { nqn: 'nqn.a' });
    const aborted = client.call('nvmf_subsystem_add_ns', { nqn: 'nqn.a', namespace: { bdev_name: 'x' } }, { signal: controller.signal });
    const third = client.call('nvmf_subsystem_add_ns', { nqn: 'nqn.a', namespace: { bdev_name: 'y' } });
    await waitFor('the first call sent', () => server.received.length === 1);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ failure: 'aborted' });
    waiting.shift()!();
    await first;
    await waitFor('the third call sent once the first was answered', () => server.received.length === 2);
    expect(server.received[1]!.params).toEqual({ nqn: 'nqn.a', namespace: { bdev_name: 'y' } });
    waiting.shift()!();
    await third;
    expect(client.stats().inFlight).toBe(0);
  });

  it('one signal passed to several calls aborts those still running, not those answered', async () => {
    const waiting = new Map<string, () => void>();
    const { client } = await setup((req, conn) => waiting.set((req.params as { name: string }).name, () => conn.reply(req, 'answer')));
    const controller = new AbortController();
    const options = { signal: controller.signal };
    const answered = client.call('bdev_get_bdevs', { name: 'a' }, options);
    const running = [client.call('bdev_get_bdevs', { name: 'b' }, options), client.call('bdev_get_bdevs', { name: 'c' }, options)];
    await waitFor('three calls in flight', () => waiting.size === 3);
    waiting.get('a')!();
    await expect(answered).resolves.toBe('answer');
    controller.abort();
    for (const call of running) await expect(call).rejects.toMatchObject({ failure: 'aborted' });
    expect(client.stats().inFlight).toBe(0);
  });
});

describe('errors from spdk_tgt', () => {
  it('decodes an error response into SpdkRpcError with code, message, method and params', async () => {
    const { client } = await setup((req, conn) => conn.replyError(req, -17, 'File exists'));
    const err = (await client.call('bdev_lvol_create', { lvol_name: 'r1', size_in_mib: 4, lvs_name: 'lvs' }).catch((e: unknown) => e)) as SpdkRpcError;
    expect(err).toBeInstanceOf(SpdkRpcError);
    expect(err).toMatchObject({ rpcCode: -17, rpcMessage: 'File exists', method: 'bdev_lvol_create', code: 'SPDK_REFUSED', codeName: 'EEXIST' });
    expect(err.params).toEqual({ lvol_name: 'r1', size_in_mib: 4, lvs_name: 'lvs' });
  });

  it('sends no params member to methods that take none', async () => {
    const { server, client } = await setup((req, conn) => conn.reply(req, { version: 'SPDK v26.05' }));
    server.answerInfo = false;
    await client.call('spdk_get_version');
    expect(JSON.parse(server.rawRequests[0]!)).toEqual({ jsonrpc: '2.0', method: 'spdk_get_version', id: expect.any(Number) });
  });
});
