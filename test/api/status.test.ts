/**
 * Errors → gRPC status, over the wire: each domain code arrives as its status with the message
 * intact and the ConductorError code in a trailer; transport failures say what to do; anything
 * that is not a ConductorError becomes INTERNAL without its message or stack.
 */
import fs from 'node:fs';
import { Writable } from 'node:stream';
import { status } from '@grpc/grpc-js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import { ERROR_CODE_TRAILER, fromStatus, statusOf } from '../../src/api/status.js';
import { ConductorError, ERROR_CODES, SpdkParamsError, SpdkRpcError, SpdkTransportError, type ErrorCode } from '../../src/errors.js';
import { startTestApi, type TestApi } from './helpers/api-server.js';

const logLines: string[] = [];
let api: TestApi;
beforeAll(async () => {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  api = await startTestApi({ logger: pino({ level: 'error' }, destination) });
});
afterAll(async () => {
  await api.close();
});

async function failWith(error: unknown): Promise<{ code: number; details: string; metadata: { get(key: string): unknown[] } }> {
  api.domain.failNext('diskList', error);
  return invoke(api.clients.disks, 'DiskList', {}).then(
    () => {
      throw new Error('the call should have failed');
    },
    (err: { code: number; details: string; metadata: { get(key: string): unknown[] } }) => err,
  );
}

describe('the error catalogue', () => {
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];

  it('gives every code a kind with a gRPC status, and one documenting line in src/errors.ts', () => {
    const source = fs.readFileSync(new URL('../../src/errors.ts', import.meta.url), 'utf8');
    for (const code of codes) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/);
      expect(statusOf(code), code).toBeTypeOf('number');
      expect(source, code).toMatch(new RegExp(`/\\*\\* [^\\n]+ \\*/\\n  ${code}: '`));
    }
  });

  it('spells each code once', () => {
    const source = fs.readFileSync(new URL('../../src/errors.ts', import.meta.url), 'utf8');
    const spelled = [...source.matchAll(/^ {2}([A-Z][A-Z0-9_]*): '[a-z-]+',$/gm)].map((m) => m[1]);
    expect(spelled.length).toBe(codes.length);
    expect(new Set(spelled).size).toBe(spelled.length);
  });

  it.each(codes)('%s reaches the caller as its status, the message kept and the code in the trailer', async (code) => {
    const err = await failWith(new ConductorError(code, `something about ${code}; do this next`));
    expect(err.code).toBe(statusOf(code));
    expect(err.details).toBe(`something about ${code}; do this next`);
    expect(err.metadata.get(ERROR_CODE_TRAILER)).toEqual([code]);
  });

  it.each([
    ['invalid-argument', status.INVALID_ARGUMENT],
    ['not-found', status.NOT_FOUND],
    ['already-exists', status.ALREADY_EXISTS],
    ['failed-precondition', status.FAILED_PRECONDITION],
    ['resource-exhausted', status.RESOURCE_EXHAUSTED],
    ['unavailable', status.UNAVAILABLE],
    ['deadline-exceeded', status.DEADLINE_EXCEEDED],
    ['aborted', status.ABORTED],
    ['internal', status.INTERNAL],
    ['unknown', status.UNKNOWN],
  ] as const)('kind %s is status %i', (kind, expected) => {
    const ofKind = codes.filter((c) => ERROR_CODES[c] === kind);
    expect(ofKind.length).toBeGreaterThan(0);
    for (const code of ofKind) expect(statusOf(code)).toBe(expected);
  });

  it('a peer gets the code back from the trailer: specific codes stay, its spdk_tgt and config faults say only that it failed', async () => {
    const cases: [ErrorCode, ErrorCode][] = [
      ['REPLICA_NOT_FOUND', 'REPLICA_NOT_FOUND'],
      ['DMA_EXHAUSTED', 'DMA_EXHAUSTED'],
      ['INTERNAL', 'INTERNAL'],
      ['SPDK_TIMEOUT', 'DEADLINE_EXCEEDED'],
      ['SPDK_UNREACHABLE', 'UNAVAILABLE'],
      ['SPDK_REFUSED', 'UNAVAILABLE'],
      ['INVALID_CONFIG', 'UNAVAILABLE'],
    ];
    for (const [sent, seen] of cases) {
      const err = await failWith(new ConductorError(sent, 'it failed'));
      expect(fromStatus(err, 'node x'), sent).toMatchObject({ code: seen, message: 'node x: it failed' });
    }
  });
});

describe('spdk errors that reach the edge', () => {
  it('spdk_tgt unreachable → UNAVAILABLE, saying to check spdk_tgt', async () => {
    const err = await failWith(new SpdkTransportError('no-socket', 'cannot connect to spdk_tgt at /var/tmp/spdk.sock: ENOENT', 'bdev_get_bdevs'));
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(err.details).toBe('cannot connect to spdk_tgt at /var/tmp/spdk.sock: ENOENT; spdk_tgt is not reachable: check that it is running, then retry');
    expect(err.metadata.get(ERROR_CODE_TRAILER)).toEqual(['SPDK_UNREACHABLE']);
  });

  it.each(['refused', 'closed', 'aborted', 'client-closed'] as const)('transport failure %s → UNAVAILABLE', async (failure) => {
    expect((await failWith(new SpdkTransportError(failure, `lost: ${failure}`))).code).toBe(status.UNAVAILABLE);
  });

  it('a full spdk_tgt queue → UNAVAILABLE, saying to back off', async () => {
    const err = await failWith(new SpdkTransportError('overloaded', 'too many calls queued'));
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(err.details).toMatch(/retry with backoff/);
    expect(err.metadata.get(ERROR_CODE_TRAILER)).toEqual(['SPDK_OVERLOADED']);
  });

  it('a spdk_tgt call timing out → DEADLINE_EXCEEDED', async () => {
    const err = await failWith(new SpdkTransportError('timeout', 'bdev_lvol_create timed out after 60000 ms', 'bdev_lvol_create'));
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(err.details).toMatch(/^bdev_lvol_create timed out after 60000 ms; spdk_tgt is slow or stuck/);
    expect(err.metadata.get(ERROR_CODE_TRAILER)).toEqual(['SPDK_TIMEOUT']);
  });

  it('a request too large for spdk_tgt → RESOURCE_EXHAUSTED, not a retry', async () => {
    const err = await failWith(new SpdkTransportError('too-large', 'request of 300000 bytes'));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.details).toBe('request of 300000 bytes; make the request smaller');
  });

  it("an untranslated spdk_tgt error → UNKNOWN with spdk_tgt's own words: the edge reads no SPDK message (the domain translates ENOMEM and ENOSPC)", async () => {
    for (const [rpcCode, rpcMessage, name] of [
      [-16, 'Device or resource busy', 'EBUSY'],
      [-12, 'Cannot allocate memory', 'ENOMEM'],
    ] as const) {
      const err = await failWith(new SpdkRpcError('bdev_lvol_delete', {}, rpcCode, rpcMessage));
      expect(err.code).toBe(status.UNKNOWN);
      expect(err.details).toBe(`bdev_lvol_delete failed: ${rpcMessage} (${name})`);
      expect(err.metadata.get(ERROR_CODE_TRAILER)).toEqual(['SPDK_REFUSED']);
    }
  });

  it('params we built wrongly → INTERNAL', async () => {
    expect((await failWith(new SpdkParamsError('bdev_lvol_create', ['/size_in_mib: must be integer']))).code).toBe(status.INTERNAL);
  });
});

describe('errors that are not ConductorErrors', () => {
  it('→ INTERNAL with a reference, the message and stack only in the log', async () => {
    const secret = new TypeError("Cannot read properties of undefined (reading 'lvs')");
    const err = await failWith(secret);
    expect(err.code).toBe(status.INTERNAL);
    const ref = /^internal error in DiskList \(ref ([0-9a-f]{8})\); the service log has the details$/.exec(err.details)?.[1];
    expect(ref).toBeDefined();
    expect(err.details).not.toContain('lvs');
    const logged = logLines.map((l) => JSON.parse(l) as { ref?: string; err?: { message: string; stack: string } }).find((l) => l.ref === ref);
    expect(logged?.err?.message).toBe(secret.message);
    expect(logged?.err?.stack).toContain('TypeError');
  });
});
