/**
 * The simulator's wire protocol, case by case against transcript 09: request framing, notifications,
 * ids, invalid requests, batches, malformed input and the size limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLL_INTERVAL_MS } from '../../../spdk/sim/core/poll-loop.js';
import { rawExchange, SimClient } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';

const VERSION = '{"version":"SPDK v26.05","fields":{"major":26,"minor":5,"patch":0,"suffix":""},"simulator":{"name":"spdk-conductor-sim","version":"0.1.0"}}';
const ok = (id: string) => `{"jsonrpc":"2.0","id":${id},"result":${VERSION}}\n`;
const invalid = (id = 'null') => `{"jsonrpc":"2.0","id":${id},"error":{"code":-32600,"message":"Invalid request"}}\n`;
const req = (id: string) => `{"jsonrpc":"2.0","method":"spdk_get_version","id":${id}}`;

let sim: RunningSim;

beforeAll(async () => {
  sim = await startSim({ name: 'F' });
});

afterAll(async () => {
  await sim.stop();
});

describe('request framing', () => {
  it('answers requests sent back to back without a delimiter, each with one compact line', async () => {
    const r = await rawExchange(sim.socket, [req('1') + req('2')], { responses: 2 });
    expect(r).toEqual({ text: ok('1') + ok('2'), closed: false });
  });

  it('answers newline-, CRLF- and space-separated and pretty-printed requests', async () => {
    const r = await rawExchange(sim.socket, [`${req('1')} \r\n\t ${req('2')}\n{\n  "jsonrpc": "2.0",\n  "method": "spdk_get_version",\n  "id": 3\n}`], { responses: 3 });
    expect(r.text).toBe(ok('1') + ok('2') + ok('3'));
  });

  it('waits for a request split across writes, and for an incomplete one', async () => {
    const split = await rawExchange(sim.socket, ['{"jsonrpc":"2.0",', 300, `"method":"spdk_get_version","id":10}${req('11')}`], { responses: 2 });
    expect(split.text).toBe(ok('10') + ok('11'));
    const incomplete = await rawExchange(sim.socket, ['{"jsonrpc":"2.0","method":"spdk_get_version","id":77', 1000, '}'], { responses: 1 });
    expect(incomplete).toEqual({ text: ok('77'), closed: false });
  });

  it('answers 1000 pipelined calls in order, every complete request of a poll at that poll', async () => {
    const body = Array.from({ length: 1000 }, (_, i) => req(String(i + 1))).join('');
    const started = performance.now();
    // Until all 1000 are in: a pause in the stream is the machine being busy, so the quiet time is
    // only the deadline for a server that stopped answering.
    const r = await rawExchange(sim.socket, [body], { responses: 1000, quietMs: 10_000 });
    const elapsed = performance.now() - started;
    const ids = r.text
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: number }).id);
    expect(ids).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    // spdk_tgt took 41.6 ms (a few polls); one request per poll would take 1000 polls (4 s) at
    // least. Half of that tells the two apart whatever else the machine is doing.
    expect(elapsed).toBeLessThan((1000 * POLL_INTERVAL_MS) / 2);
  });
});

describe('ids and notifications', () => {
  it('echoes string, float and huge integer ids exactly as sent', async () => {
    for (const id of ['"abc-123"', '1.5', '123456789012345678901234567890']) {
      expect((await rawExchange(sim.socket, [req(id)], { responses: 1 })).text).toBe(ok(id));
    }
  });

  it('does not answer a successful call without an id or with id null', async () => {
    for (const body of ['{"jsonrpc":"2.0","method":"spdk_get_version"}', '{"jsonrpc":"2.0","method":"spdk_get_version","id":null}']) {
      expect(await rawExchange(sim.socket, [body], { quietMs: 300 })).toEqual({ text: '', closed: false });
    }
  });

  it('answers errors of id-less requests with id null', async () => {
    const r = await rawExchange(sim.socket, ['{"jsonrpc":"2.0","method":"no_such_method"}'], { responses: 1 });
    expect(r.text).toBe('{"jsonrpc":"2.0","id":null,"error":{"code":-32601,"message":"Method not found"}}\n');
    const d = await rawExchange(sim.socket, ['{"jsonrpc":"2.0","method":"bdev_malloc_create","params":{"name":"x"}}'], { responses: 1 });
    expect(d.text).toBe('{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"spdk_json_decode_object failed"}}\n');
  });
});

describe('invalid requests (-32600)', () => {
  it.each([
    ['id object', '{"jsonrpc":"2.0","method":"spdk_get_version","id":{"a":1}}', 'null'],
    ['jsonrpc 1.0', '{"jsonrpc":"1.0","method":"spdk_get_version","id":1}', 'null'],
    ['method not a string', '{"jsonrpc":"2.0","method":123,"id":1}', 'null'],
    ['no method', '{"jsonrpc":"2.0","id":1}', 'null'],
    ['params a string', '{"jsonrpc":"2.0","method":"bdev_get_bdevs","params":"x","id":1}', '1'],
    ['unknown member', '{"jsonrpc":"2.0","method":"spdk_get_version","id":1,"extra":true}', 'null'],
    ['top-level number', '42', 'null'],
    ['duplicate keys', '{"jsonrpc":"2.0","method":"spdk_get_version","id":1,"id":2}', 'null'],
    ['empty batch', '[]', 'null'],
  ])('%s', async (_case, body, id) => {
    expect(await rawExchange(sim.socket, [body], { responses: 1 })).toEqual({ text: invalid(id), closed: false });
  });

  it('accepts a request without jsonrpc and with params null', async () => {
    expect((await rawExchange(sim.socket, ['{"method":"spdk_get_version","id":1}'], { responses: 1 })).text).toBe(ok('1'));
    expect((await rawExchange(sim.socket, ['{"jsonrpc":"2.0","method":"spdk_get_version","params":null,"id":1}'], { responses: 1 })).text).toBe(ok('1'));
  });

  it('refuses params on a method that takes none', async () => {
    const r = await rawExchange(sim.socket, ['{"jsonrpc":"2.0","method":"spdk_get_version","params":{"x":1},"id":1}'], { responses: 1 });
    expect(r.text).toBe('{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"spdk_get_version method requires no parameters"}}\n');
  });
});

describe('batches', () => {
  it('answers a batch with one array, leaving out notifications', async () => {
    const r = await rawExchange(sim.socket, [`[${req('1')},{"jsonrpc":"2.0","method":"spdk_get_version"},{"jsonrpc":"2.0","method":"nope","id":3}]`], { responses: 1 });
    expect(r.text).toBe(`[${ok('1').trim()},{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"Method not found"}}]\n`);
  });
});

/**
 * How long a test that expects the server to close waits for it: the exchange ends at the close,
 * so this is only the deadline for a server that never closes (a simulator starved of CPU on a
 * busy machine can take longer than a quiet spell of a few hundred ms to get to its next poll).
 */
const CLOSE_DEADLINE_MS = 10_000;
/** A request whose name makes it `bytes` long. */
const sized = (bytes: number, id = '1') => {
  const shell = `{"jsonrpc":"2.0","method":"bdev_get_bdevs","params":{"name":""},"id":${id}}`;
  return shell.replace('"name":""', `"name":"${'x'.repeat(bytes - shell.length)}"`);
};

describe('malformed input closes the connection without an answer', () => {
  it.each([
    ['double comma', '{"jsonrpc":"2.0","method":"spdk_get_version","id":1,,}'],
    ['garbage', 'hello world\n'],
    ['a comment', '{"jsonrpc":"2.0","method":"spdk_get_version", /* c */ "id":1}'],
    ['a UTF-8 BOM', `\ufeff${req('1')}`],
  ])('%s', async (_case, body) => {
    expect(await rawExchange(sim.socket, [body], { quietMs: CLOSE_DEADLINE_MS })).toEqual({ text: '', closed: true });
  });

  it('closes on more than 8192 JSON values', async () => {
    const pad = Array.from({ length: 9000 }, (_, i) => i).join(',');
    const r = await rawExchange(sim.socket, [`{"jsonrpc":"2.0","method":"bdev_get_bdevs","params":{"name":"x","pad":[${pad}]},"id":1}`], { quietMs: CLOSE_DEADLINE_MS });
    expect(r).toEqual({ text: '', closed: true });
  });

  it('closes on a 65th nested container (SPDK_JSON_MAX_NESTING_DEPTH), even 100,000 deep, and answers 64', async () => {
    const nested = (n: number) => `{"jsonrpc":"2.0","method":"bdev_get_bdevs","params":{"name":${'['.repeat(n)}${']'.repeat(n)}},"id":1}`;
    // The request and its params are two containers: 62 arrays make 64.
    const deepest = await rawExchange(sim.socket, [nested(62)], { responses: 1 });
    expect(JSON.parse(deepest.text)).toMatchObject({ error: { code: -32603, message: 'spdk_json_decode_object failed' } });
    expect(await rawExchange(sim.socket, [nested(63)], { quietMs: CLOSE_DEADLINE_MS })).toEqual({ text: '', closed: true });
    expect(await rawExchange(sim.socket, [nested(100_000)], { quietMs: CLOSE_DEADLINE_MS })).toEqual({ text: '', closed: true });
  });

  it('resets the connection on a request larger than 256 KiB', async () => {
    const r = await rawExchange(sim.socket, [`{"jsonrpc":"2.0","method":"bdev_get_bdevs","params":{"name":"${'x'.repeat(300_000)}"},"id":1}`], { quietMs: CLOSE_DEADLINE_MS });
    expect(r.text).toBe('');
    expect(r.closed).toBe('reset');
  });

  // spdk_tgt reads at most what is left of its 256 KiB buffer, so a larger request's last bytes are
  // still unread when it closes; a 64 KiB read taking them all made the close a plain EOF. (A
  // first piece of exactly 256 KiB is closed on before the rest is sent: EOF there, also for
  // spdk_tgt.)
  it('resets whatever pieces the request comes in: its last bytes are never read', async () => {
    const big = sized(300_000);
    for (const cut of [250_000, 262_143, 262_145]) {
      const r = await rawExchange(sim.socket, [big.slice(0, cut), 300, big.slice(cut)], { quietMs: CLOSE_DEADLINE_MS });
      expect({ cut, ...r }).toEqual({ cut, text: '', closed: 'reset' });
    }
  });

  it('takes a request of exactly 256 KiB, and answers what came before a larger one', async () => {
    const exact = await rawExchange(sim.socket, [sized(256 * 1024, '5')], { responses: 1, quietMs: CLOSE_DEADLINE_MS });
    expect(exact.closed).toBe(false);
    expect(JSON.parse(exact.text)).toMatchObject({ id: 5, error: { code: -19 } });
    const r = await rawExchange(sim.socket, [req('1') + sized(300_000)], { quietMs: CLOSE_DEADLINE_MS });
    expect(r).toEqual({ text: ok('1'), closed: 'reset' });
  });

  // jsonrpc_server_conn_recv keeps what spdk_json_parse did not take: whitespace not after a value.
  it('counts whitespace before a request toward the buffer', async () => {
    const r = await rawExchange(sim.socket, [' '.repeat(200_000) + sized(100_000)], { quietMs: CLOSE_DEADLINE_MS });
    expect(r).toEqual({ text: '', closed: 'reset' });
  });
});

describe('connections', () => {
  it('serves several connections, and answers slow calls when they finish (out of order)', async () => {
    const c = await SimClient.connect(sim.socket);
    await c.call('sim_rpc_delay', { method: 'bdev_get_bdevs', ms: 100 });
    const order: string[] = [];
    const slow = c.call('bdev_get_bdevs').then(() => order.push('slow'));
    const fast = c.call('spdk_get_version').then(() => order.push('fast'));
    await Promise.all([slow, fast]);
    expect(order).toEqual(['fast', 'slow']);
    await c.call('sim_rpc_delay', { method: 'bdev_get_bdevs', ms: 0 });
    c.close();
  });

  it('accepts at most 64 connections', async () => {
    const clients = await Promise.all(Array.from({ length: 70 }, () => SimClient.connect(sim.socket)));
    const answers = await Promise.all(clients.map((c) => c.request('spdk_get_version')));
    const served = answers.filter((a) => a.result !== undefined).length;
    expect(served).toBeLessThanOrEqual(64);
    expect(served).toBeGreaterThanOrEqual(60);
    for (const c of clients) c.close();
  });
});
