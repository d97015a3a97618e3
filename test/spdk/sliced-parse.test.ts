import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { SpdkClient } from '../../src/spdk/client.js';
import { SLICED_PARSE_MIN_CHARS, parseSliced } from '../../src/spdk/sliced-parse.js';
import { FakeSpdk, waitFor } from './helpers/fake-spdk.js';
import { testContracts } from './helpers/test-contracts.js';

const logger = pino({ level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** An answer shaped like nvmf_get_subsystems at scale, with every character JSON makes hard. */
function bigAnswer(id: number, count: number): { jsonrpc: string; id: number; result: unknown[] } {
  const result = Array.from({ length: count }, (_, i) => ({
    nqn: `nqn.2016-06.io.spdk:r-${i}`,
    subtype: 'NVMe',
    listen_addresses: [{ trtype: 'TCP', adrfam: 'IPv4', traddr: '127.0.0.1', trsvcid: String(20000 + i) }],
    hosts: i % 3 ? [] : [{ nqn: `h-${i}` }],
    odd: ['a"b', 'c\\', '\\"', '}{', '][', ',', 'ünïcødé ✓', '\u0000'][i % 8],
    namespaces: [{ nsid: 1, bdev_name: `lvs/r-${i}`, uuid: '0b7c0f3e-0000-4000-8000-000000000000' }],
  }));
  return { jsonrpc: '2.0', id, result };
}

describe('parseSliced', () => {
  it('gives what JSON.parse gives, for the shapes spdk_tgt answers with and others', async () => {
    const texts = [
      JSON.stringify(bigAnswer(7, 3000)),
      JSON.stringify(bigAnswer(8, 3000), null, 2),
      JSON.stringify({ jsonrpc: '2.0', id: 1, result: [] }),
      JSON.stringify({ a: [1, 'two', null, true, { x: [3] }, [4, [5]]], b: { c: [6] }, d: [], e: '[', f: [' spaced ', -1.5e3] }),
      `  {"a" : [ 1 , 2 ] , "b":[ "x" ] }  `,
      JSON.stringify([{ jsonrpc: '2.0', id: 1, result: [1, 2] }]),
      JSON.stringify({ jsonrpc: '2.0', id: 2, error: { code: -19, message: 'No such device' } }),
      '"just a string"',
      JSON.stringify({ a: '\u0000sliced-array:0', b: [1] }),
      '{"a":[1],"a":[2]}',
    ];
    for (const text of texts) expect(await parseSliced(text)).toEqual(JSON.parse(text));
  });

  it('refuses what JSON.parse refuses', async () => {
    for (const text of ['{"a":[1,]}', '{"a":[1,,2]}', '{"a":[tru]}', '{"a":[1 2]}', '{"a":[{"b":}]}', '{"a":[1]']) {
      await expect(parseSliced(text), text).rejects.toThrow(SyntaxError);
    }
  });

  it('gives the loop back while it parses a large answer', async () => {
    const text = JSON.stringify(bigAnswer(9, 20_000));
    let turns = 0;
    let parsing = true;
    const tick = (): void => {
      turns++;
      if (parsing) setImmediate(tick);
    };
    setImmediate(tick);
    const value = await parseSliced(text);
    parsing = false;
    expect((value as { result: unknown[] }).result).toHaveLength(20_000);
    // Several megabytes cannot be scanned and parsed within one slice of 4 ms.
    expect(turns).toBeGreaterThan(1);
  });
});

describe('large answers on the connection', () => {
  it('are delivered whole and in the order spdk_tgt sent them, small answers behind them included', async () => {
    const order: string[] = [];
    let bigReq: { id: unknown } | undefined;
    const server = await new FakeSpdk(FakeSpdk.tempSocket(), (req, conn) => {
      const name = (req.params as { name: string }).name;
      if (name === 'big') bigReq = req;
      else {
        // The big answer and a small one in one write: the small one must wait for the big one's parse.
        const big = JSON.stringify({ ...bigAnswer(0, 3000), id: bigReq!.id });
        expect(big.length).toBeGreaterThan(SLICED_PARSE_MIN_CHARS);
        conn.writeRaw(`${big}\n${JSON.stringify({ jsonrpc: '2.0', id: req.id, result: [{ name }] })}\n`);
      }
    }).start();
    const client = new SpdkClient({ socketPath: server.socketPath, logger, contracts: testContracts() });
    cleanups.push(async () => {
      await client.close();
      await server.stop();
    });
    const bigCall = client.call<unknown[]>('bdev_get_bdevs', { name: 'big' }).then((r) => {
      order.push('big');
      return r;
    });
    await waitFor('the big call to reach the server', () => bigReq !== undefined);
    const smallCall = client.call<Array<{ name: string }>>('bdev_get_bdevs', { name: 'small' }).then((r) => {
      order.push('small');
      return r;
    });
    const [big, small] = await Promise.all([bigCall, smallCall]);
    expect(big).toEqual(bigAnswer(0, 3000).result);
    expect(small).toEqual([{ name: 'small' }]);
    expect(order).toEqual(['big', 'small']);
  });
});
