/**
 * Errors → gRPC status, over the wire: each domain code arrives as its status with the message
 * intact and the ConductorError code in a trailer; transport failures say what to do; anything
 * that is not a ConductorError becomes INTERNAL without its message or stack.
 */
import { Writable } from 'node:stream';
import { status } from '@grpc/grpc-js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import { ERROR_CODE_TRAILER } from '../../src/api/status.js';
import { ConductorError, SpdkParamsError, SpdkRpcError, SpdkTransportError, type ErrorCode } from '../../src/errors.js';
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

const domainCodes: [ErrorCode, status][] = [
  ['INVALID_ARGUMENT', status.INVALID_ARGUMENT],
  ['NOT_FOUND', status.NOT_FOUND],
  ['ALREADY_EXISTS', status.ALREADY_EXISTS],
  ['FAILED_PRECONDITION', status.FAILED_PRECONDITION],
  ['RESOURCE_EXHAUSTED', status.RESOURCE_EXHAUSTED],
  ['UNAVAILABLE', status.UNAVAILABLE],
  ['DEADLINE_EXCEEDED', status.DEADLINE_EXCEEDED],
  ['ABORTED', status.ABORTED],
  ['INTERNAL', status.INTERNAL],
];

describe('ConductorError codes', () => {
  it.each(domainCodes)('%s → status %i with the message kept and the code in a trailer', async (code, expected) => {
    const err = await failWith(new ConductorError(code, `something about ${code}; do this next`));
    expect(err.code).toBe(expected);
    expect(err.details).toBe(`something about ${code}; do this next`);
    expect(err.metadata.get(ERROR_CODE_TRAILER)).toEqual([code]);
  });
});

describe('spdk errors that reach the edge', () => {
  it('spdk_tgt unreachable → UNAVAILABLE, saying to check spdk_tgt', async () => {
    const err = await failWith(new SpdkTransportError('no-socket', 'cannot connect to spdk_tgt at /var/tmp/spdk.sock: ENOENT', 'bdev_get_bdevs'));
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(err.details).toBe('cannot connect to spdk_tgt at /var/tmp/spdk.sock: ENOENT; spdk_tgt is not reachable: check that it is running, then retry');
  });

  it.each(['refused', 'closed', 'aborted', 'client-closed'] as const)('transport failure %s → UNAVAILABLE', async (failure) => {
    expect((await failWith(new SpdkTransportError(failure, `lost: ${failure}`))).code).toBe(status.UNAVAILABLE);
  });

  it('a full spdk_tgt queue → UNAVAILABLE, saying to back off', async () => {
    const err = await failWith(new SpdkTransportError('overloaded', 'too many calls queued'));
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(err.details).toMatch(/retry with backoff/);
  });

  it('a spdk_tgt call timing out → DEADLINE_EXCEEDED', async () => {
    const err = await failWith(new SpdkTransportError('timeout', 'bdev_lvol_create timed out after 60000 ms', 'bdev_lvol_create'));
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(err.details).toMatch(/^bdev_lvol_create timed out after 60000 ms; spdk_tgt is slow or stuck/);
  });

  it('a request too large for spdk_tgt → RESOURCE_EXHAUSTED, not a retry', async () => {
    expect((await failWith(new SpdkTransportError('too-large', 'request of 300000 bytes'))).code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('ENOMEM from spdk_tgt → RESOURCE_EXHAUSTED naming the memory', async () => {
    const err = await failWith(new SpdkRpcError('bdev_lvol_create', {}, -12, 'Cannot allocate memory'));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.details).toMatch(/^bdev_lvol_create failed: Cannot allocate memory \(ENOMEM\): spdk_tgt is out of memory/);
  });

  it('no space from spdk_tgt → RESOURCE_EXHAUSTED naming the disk space', async () => {
    const err = await failWith(new SpdkRpcError('bdev_lvol_resize', {}, -28, 'No space left on device'));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.details).toMatch(/the disk has no free space/);
  });

  it("any other spdk_tgt error → UNKNOWN with spdk_tgt's own words", async () => {
    const err = await failWith(new SpdkRpcError('bdev_lvol_delete', {}, -16, 'Device or resource busy'));
    expect(err.code).toBe(status.UNKNOWN);
    expect(err.details).toBe('bdev_lvol_delete failed: Device or resource busy (EBUSY)');
    expect(err.metadata.get(ERROR_CODE_TRAILER)).toEqual(['SPDK_RPC']);
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
