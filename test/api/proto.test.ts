/**
 * The generated types are current with the protos (the same check as npm run check:proto), the
 * check really fails on a stale copy naming the file, and the runtime loader produces what the
 * generated types describe (camelCase, numbers for uint64, enum names, defaults present).
 */
import { cp, mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProtos } from '../../src/api/proto.js';
import type { Disk__Output } from '../../src/api/generated/spdk/conductor/v1/Disk.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const SCRIPT = join(ROOT, 'scripts/gen-proto-types.sh');
const GENERATED = join(ROOT, 'src/api/generated');

function check(dir?: string) {
  return execa('sh', [SCRIPT, '--check', ...(dir ? [dir] : [])], { cwd: ROOT, reject: false, timeout: 60_000 });
}

describe('generated proto types', () => {
  let copy: string;
  beforeAll(async () => {
    copy = await mkdtemp(join(tmpdir(), 'proto-gen-'));
    await cp(GENERATED, join(copy, 'generated'), { recursive: true });
  });
  afterAll(async () => {
    await rm(copy, { recursive: true, force: true });
  });

  it('src/api/generated is what the protos generate today', async () => {
    const result = await check();
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('names every stale, missing and extra file when a copy differs', async () => {
    const dir = join(copy, 'generated');
    await appendFile(join(dir, 'spdk/conductor/v1/Disk.ts'), '// edited by hand\n');
    await rm(join(dir, 'google/protobuf/Timestamp.ts'));
    await writeFile(join(dir, 'spdk/conductor/v1/Gone.ts'), 'export {};\n');
    const result = await check(dir);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`stale: ${dir}/spdk/conductor/v1/Disk.ts`);
    expect(result.stderr).toContain(`missing: ${dir}/google/protobuf/Timestamp.ts`);
    expect(result.stderr).toContain(`extra: ${dir}/spdk/conductor/v1/Gone.ts`);
    expect(result.stderr).toContain('run npm run gen:proto');
  });
});

describe('the runtime loader matches the generated types', () => {
  it('decodes camelCase fields, uint64 as numbers, enums by name and absent fields as defaults', () => {
    const { definition } = loadProtos();
    const type = definition['spdk.conductor.v1.Disk'] as { format: string; type: unknown };
    expect(type.format).toBe('Protocol Buffer 3 DescriptorProto');
    const method = (definition['spdk.conductor.v1.Disks'] as Record<string, { responseSerialize(v: unknown): Buffer; responseDeserialize(b: Buffer): unknown }>)['DiskGet']!;
    const wire = method.responseSerialize({ name: 'd1', kind: 'DISK_KIND_NVME', totalBytes: 2 ** 40 });
    const decoded = method.responseDeserialize(wire) as Disk__Output;
    expect(decoded).toEqual({
      name: 'd1',
      kind: 'DISK_KIND_NVME',
      path: '',
      bdevName: '',
      lvstoreName: '',
      lvstoreUuid: '',
      clusterSizeBytes: 0,
      blockSize: 0,
      totalBytes: 2 ** 40,
      freeBytes: 0,
      allocatedBytes: 0,
      replicaCount: 0,
      adopted: false,
      stale: false,
      staleReason: '',
    } satisfies Disk__Output);
  });
});
