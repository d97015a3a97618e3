/**
 * Issue 11, items 7 and 8, at the byte level: a request whose bytes do not decode is bad input
 * (INVALID_ARGUMENT, MALFORMED_REQUEST), not a fault of the service (grpc-js's INTERNAL); a
 * message that quotes a caller's string cut inside a surrogate pair cannot take the service down;
 * and exposing a local engine's member is refused before spdk_tgt is asked. Found by
 * scripts/fuzz-api.ts (seed 42, cases 0 and 17; the emoji name; seed 7, case 169).
 */
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, invoke, isServiceError, type ApiClients } from '../../src/api/client.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';

const MiB = 1024 * 1024;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10';
const DEADLINE = { deadlineMs: 15_000 };

let node: NodeFixture;
let api: ApiClients;
let raw: grpc.Client;

beforeAll(async () => {
  node = await startNode();
  const socket = path.join(node.dir, 'api.sock');
  api = createApiClients({ unixSocket: socket });
  raw = new grpc.Client(`unix:${socket}`, grpc.credentials.createInsecure());
});
afterAll(async () => {
  raw?.close();
  api?.close();
  await node?.close();
});

interface Outcome {
  code: grpc.status;
  conductorCode: unknown;
  details: string;
}

/** Sends `bytes` as the request of `method` (its full path) and returns how the call ended. */
function sendBytes(method: string, bytes: Buffer): Promise<Outcome> {
  const identity = (b: Buffer): Buffer => b;
  return new Promise((resolve) => {
    raw.makeUnaryRequest(method, identity, identity, bytes, new grpc.Metadata(), { deadline: Date.now() + 15_000 }, (err) => {
      resolve(err ? { code: err.code, conductorCode: err.metadata.get('conductor-error-code')[0], details: err.details } : { code: grpc.status.OK, conductorCode: undefined, details: '' });
    });
  });
}

async function codeOf(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (err) {
    if (isServiceError(err)) return err.metadata.get('conductor-error-code')[0];
    throw err;
  }
  return 'OK';
}

describe('bytes that do not decode', () => {
  it.each([
    // field 1 (name), length 5, then only two bytes: truncated.
    ['a truncated string', Buffer.from([0x0a, 0x05, 0x61, 0x62])],
    // field 4 (block_size, uint32) as a varint of 2^53: wider than its field.
    ['a uint32 wider than 32 bits', Buffer.from([0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10])],
    // field 1 with wire type 7, which does not exist.
    ['a wire type that does not exist', Buffer.from([0x0f, 0x01])],
  ])('%s is INVALID_ARGUMENT with a short message, and nothing is made', async (_what, bytes) => {
    // protobufjs reads some malformed bytes leniently (then the fields' own rules refuse them),
    // others it cannot decode at all: either way the caller sent bad input.
    const outcome = await sendBytes('/spdk.conductor.v1.Disks/DiskCreate', bytes);
    expect(outcome.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(outcome.details.length).toBeLessThan(400);
    expect((await invoke(api.disks, 'DiskList', {}, DEADLINE)).disks).toEqual([]);
  });

  it('bytes protobufjs cannot decode are MALFORMED_REQUEST, not grpc-js’s INTERNAL', async () => {
    const outcome = await sendBytes('/spdk.conductor.v1.Disks/DiskCreate', Buffer.from([0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]));
    expect(outcome).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, conductorCode: 'MALFORMED_REQUEST' });
    expect(outcome.details).toContain('do not decode');
  });

  it('a watch whose request does not decode ends at once with INVALID_ARGUMENT', async () => {
    const identity = (b: Buffer): Buffer => b;
    const stream = raw.makeServerStreamRequest('/spdk.conductor.v1.Replicas/ReplicaWatch', identity, identity, Buffer.from([0x0a, 0x09]), new grpc.Metadata(), {});
    const ended = await new Promise<grpc.ServiceError>((resolve) => {
      stream.on('data', () => undefined);
      stream.on('error', resolve);
    });
    expect(ended.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(ended.metadata.get('conductor-error-code')[0]).toBe('MALFORMED_REQUEST');
  });
});

describe('a caller string cut inside a surrogate pair', () => {
  it('is refused with a well-formed message, and the service goes on answering', async () => {
    const name = `${'a'.repeat(63)}😀`;
    expect(await codeOf(invoke(api.engines, 'EngineGet', { name }, DEADLINE))).toBe('INVALID_NAME');
    expect(await codeOf(invoke(api.replicas, 'ReplicaGet', { name }, DEADLINE))).toBe('INVALID_NAME');
    expect((await invoke(api.node, 'NodeInfo', {}, DEADLINE)).version).toBeTruthy();
  });
});

describe('exposing a member of a local engine', () => {
  it('is REPLICA_IN_USE naming the engine, nothing asked of spdk_tgt, and the engine stays healthy', async () => {
    await invoke(api.disks, 'DiskCreate', { name: 'd1', path: node.diskFile('d1', 256), kind: 'DISK_KIND_AIO' }, DEADLINE);
    for (const name of ['m1', 'm2']) await invoke(api.replicas, 'ReplicaCreate', { name, diskName: 'd1', sizeBytes: 16 * MiB }, DEADLINE);
    await invoke(
      api.engines,
      'EngineCreate',
      { name: 'vol1', sizeBytes: 16 * MiB, replicas: [{ local: { name: 'm1' } }, { local: { name: 'm2' } }], frontend: 'FRONTEND_KIND_EXPORT_ONLY', hostNqns: [HOST] },
      DEADLINE,
    );
    const refused = await invoke(api.replicas, 'ReplicaExpose', { name: 'm1', hostNqns: [HOST] }, DEADLINE).catch((e: unknown) => e);
    expect(isServiceError(refused) && refused.metadata.get('conductor-error-code')[0]).toBe('REPLICA_IN_USE');
    expect(isServiceError(refused) && refused.details).toContain('vol1');
    expect((await invoke(api.replicas, 'ReplicaGet', { name: 'm1' }, DEADLINE)).export).toBeFalsy();
    expect((await invoke(api.engines, 'EngineGet', { name: 'vol1' }, DEADLINE)).state).toBe('ENGINE_STATE_HEALTHY');
  });
});
