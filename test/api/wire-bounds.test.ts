import { describe, expect, it } from 'vitest';
import { loadProtos } from '../../src/api/proto.js';
import { WireBounds } from '../../src/api/wire-bounds.js';
import { LIST_MAX, STRING_MAX_BYTES } from '../../src/validation/limits.js';

const protos = loadProtos();
const v1 = protos.grpcObject.spdk.conductor.v1;
const bounds = new WireBounds(protos.definition);
const PKG = 'spdk.conductor.v1';

function bytes(service: { service: Record<string, { requestSerialize: (v: unknown) => Buffer }> }, method: string, request: unknown): Buffer {
  return service.service[method]!.requestSerialize(request);
}

describe('request bounds checked on the bytes, before decoding', () => {
  it('finds an over-long string at the top level, in nested messages, in lists and in maps, named as the edge names fields', () => {
    const long = 'a'.repeat(STRING_MAX_BYTES + 1);
    expect(bounds.check(`${PKG}.DiskCreateRequest`, bytes(v1.Disks, 'DiskCreate', { name: 'd', path: long }))).toEqual({ field: 'path', kind: 'string', size: long.length });
    expect(bounds.check(`${PKG}.ReplicaCreateRequest`, bytes(v1.Replicas, 'ReplicaCreate', { name: 'r', diskName: long }))).toMatchObject({ field: 'disk_name' });
    expect(bounds.check(`${PKG}.ReplicaCreateRequest`, bytes(v1.Replicas, 'ReplicaCreate', { name: 'r', hostNqns: ['nqn.a', 'nqn.b', long] }))).toMatchObject({ field: 'host_nqns[2]' });
    expect(bounds.check(`${PKG}.EngineCreateRequest`, bytes(v1.Engines, 'EngineCreate', { name: 'e', replicas: [{ local: { name: 'a' } }, { remote: { name: 'b', address: long } }] }))).toMatchObject({
      field: 'replicas[1].remote.address',
      kind: 'string',
    });
    expect(bounds.check(`${PKG}.SnapshotCreateRequest`, bytes(v1.Snapshots, 'SnapshotCreate', { replicaName: 'r', name: 's', labels: { ok: 'v', k: long } }))).toMatchObject({
      field: 'labels',
      kind: 'string',
    });
  });

  it('counts list and map entries without decoding them', () => {
    const many = Array.from({ length: LIST_MAX + 1 }, (_, i) => `nqn.2014-08.org.nvmexpress:uuid:${i}`);
    expect(bounds.check(`${PKG}.ReplicaCreateRequest`, bytes(v1.Replicas, 'ReplicaCreate', { name: 'r', hostNqns: many }))).toEqual({ field: 'host_nqns', kind: 'list', size: LIST_MAX + 1 });
    const labels = Object.fromEntries(Array.from({ length: LIST_MAX + 1 }, (_, i) => [`k${i}`, 'v']));
    expect(bounds.check(`${PKG}.SnapshotCreateRequest`, bytes(v1.Snapshots, 'SnapshotCreate', { replicaName: 'r', name: 's', labels }))).toMatchObject({ field: 'labels', kind: 'list' });
  });

  it('passes requests within the bounds, and bytes it cannot follow, to the decoder', () => {
    const atBound = 'a'.repeat(STRING_MAX_BYTES);
    expect(bounds.check(`${PKG}.DiskCreateRequest`, bytes(v1.Disks, 'DiskCreate', { name: 'd', path: atBound }))).toBeUndefined();
    const hosts = Array.from({ length: LIST_MAX }, (_, i) => `nqn.h${i}`);
    expect(bounds.check(`${PKG}.ReplicaCreateRequest`, bytes(v1.Replicas, 'ReplicaCreate', { name: 'r', hostNqns: hosts }))).toBeUndefined();
    // A length prefix past the end, a varint that never ends, an unknown wire type: not a bound's business.
    for (const junk of [Buffer.from([0x12, 0xff, 0x01, 0x61]), Buffer.from([0x08, 0xff, 0xff, 0xff]), Buffer.from([0x0b, 0x00])]) {
      expect(bounds.check(`${PKG}.DiskCreateRequest`, junk)).toBeUndefined();
    }
    expect(bounds.check(`${PKG}.NoSuchMessage`, Buffer.from([0x0a, 0x01, 0x61]))).toBeUndefined();
  });
});
