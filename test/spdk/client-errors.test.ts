/**
 * Every error spdk_tgt v26.05 returned in transcript 08, replayed byte for byte through a real
 * socket: the client must hand back the typed error with the recorded code and message, and the
 * verdict the method's contract gives, or refuse the request locally when its params were bad.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { SpdkClient } from '../../src/spdk/client.js';
import { loadContracts } from '../../src/spdk/contracts.js';
import { SpdkParamsError, SpdkRpcError } from '../../src/errors.js';
import { FakeSpdk } from './helpers/fake-spdk.js';

interface Line {
  method: string | null;
  params?: unknown;
  response?: { id: unknown; result?: unknown; error?: { code: number; message: string } };
}

const transcript = path.resolve(fileURLToPath(import.meta.url), '../../../../shared/spdk/transcripts/08-errors.jsonl');
const lines = fs
  .readFileSync(transcript, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as Line);
const contracts = loadContracts();
const errors = lines.filter((l) => l.method && l.response?.error && contracts.has(l.method));

let server: FakeSpdk;
let client: SpdkClient;
/** The recorded answer for the next request, set by each case before it calls. */
let next: Line | undefined;

beforeAll(async () => {
  server = await new FakeSpdk(FakeSpdk.tempSocket(), (req, conn) => {
    const recorded = next!.response!;
    conn.writeRaw(JSON.stringify({ jsonrpc: '2.0', id: req.id, ...(recorded.error ? { error: recorded.error } : { result: recorded.result }) }) + '\n');
  }).start();
  client = new SpdkClient({ socketPath: server.socketPath, logger: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await client.close();
  await server.stop();
});

describe('transcript 08 through the client', () => {
  it('has error cases for most contracted methods it touches', () => {
    expect(errors.length).toBeGreaterThan(60);
  });

  it.each(errors.map((l, i) => [i, l.method!, l.response!.error!.code, l.response!.error!.message, l] as const))('#%i %s → %i %s', async (_i, method, code, message, line) => {
    next = line;
    const sentBefore = server.received.length;
    const err = await client.call(method, (line.params ?? undefined) as object | undefined).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (err instanceof SpdkParamsError) {
      // Refused before the socket: only acceptable where spdk_tgt refused the params too.
      expect(server.received.length).toBe(sentBefore);
      expect([-32603, -32602, -32700, -22]).toContain(code);
      return;
    }
    expect(err).toBeInstanceOf(SpdkRpcError);
    const rpc = err as SpdkRpcError;
    expect({ code: rpc.rpcCode, message: rpc.rpcMessage, method: rpc.method }).toEqual({ code, message, method });
    expect(rpc.params).toEqual(line.params ?? undefined);
    expect(client.verdictOf(rpc)).toBe(contracts.get(method)!.verdict(code, message));
  });

  it('sends the params of every case spdk_tgt decoded, and refuses the ones it could not', async () => {
    const refused: string[] = [];
    for (const line of errors) {
      next = line;
      const err = await client.call(line.method!, (line.params ?? undefined) as object | undefined).catch((e: unknown) => e);
      if (err instanceof SpdkParamsError) refused.push(`${line.method} ${line.response!.error!.message}`);
    }
    // Each one is a decode or params failure on spdk_tgt's side as well.
    for (const r of refused) expect(r).toMatch(/spdk_json_decode_object failed|Invalid parameters|Invalid argument|Unable to create subsystem|method requires no parameters/);
    expect(refused.length).toBeGreaterThan(5);
  });
});
