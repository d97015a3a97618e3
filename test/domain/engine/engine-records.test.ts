/**
 * The engine records as a specification: every intent is one durable write under the engine's
 * lock, a write that fails changes nothing (in memory as on disk), readers cannot change a record,
 * and an editor works only while its section holds the lock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConductorError } from '../../../src/errors.js';
import { EngineRecords, type EngineEdit } from '../../../src/domain/engine/engine-records.js';
import { ObjectLocks } from '../../../src/domain/node/locks.js';
import { StateFile, type EngineSpec } from '../../../src/domain/node/state-file.js';
import { tempDir } from '../../helpers/temp-dir.js';

const SPEC: EngineSpec = {
  name: 'vol-1',
  sizeBytes: 64 * 1024 * 1024,
  replicas: [
    { name: 'r-a', kind: 'local' },
    { name: 'r-b', kind: 'remote', address: '10.0.0.2', port: 4420, nqn: 'nqn.2024-01.io.example:r-b' },
  ],
  frontend: 'export-only',
  hostNqns: ['nqn.2024-01.io.example:host'],
  port: 0,
};
const R_C = { name: 'r-c', kind: 'remote', address: '10.0.0.3', port: 4420, nqn: 'nqn.2024-01.io.example:r-c' } as const;

let file: string;
let writes: number;
let state: StateFile;
let locks: ObjectLocks;
let records: EngineRecords;

beforeEach(() => {
  file = path.join(tempDir('engine-records-'), 'state.json');
  writes = 0;
  const lines = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) if ((JSON.parse(line) as { msg: string }).msg === 'state file written') writes++;
      done();
    },
  });
  state = StateFile.open(file, pino({ level: 'debug' }, lines));
  locks = new ObjectLocks();
  records = new EngineRecords(state, locks);
});

function onDisk(name: string): EngineSpec | undefined {
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { engines: Record<string, EngineSpec> }).engines[name];
}

/** Makes every write fail (its temp file cannot be opened) until the returned function is called. */
function breakWrites(): () => void {
  fs.mkdirSync(`${file}.tmp`);
  return () => fs.rmdirSync(`${file}.tmp`);
}

async function created(): Promise<void> {
  await records.edit(SPEC.name, async (edit) => {
    await edit.create(SPEC);
    await edit.confirmCreated(4500);
  });
}

describe('each intent is one write, on disk when it resolves', () => {
  it('create records the engine as creating; confirm records its port and drops the mark', async () => {
    await records.edit(SPEC.name, (edit) => edit.create(SPEC));
    expect(writes).toBe(1);
    expect(onDisk(SPEC.name)).toEqual({ ...SPEC, creating: true });
    await records.edit(SPEC.name, (edit) => edit.confirmCreated(4500));
    expect(writes).toBe(2);
    expect(onDisk(SPEC.name)).toEqual({ ...SPEC, port: 4500 });
    expect(records.get(SPEC.name)).toEqual(onDisk(SPEC.name));
  });

  it('a member added with its rebuild queued, its phases, its end, its removal', async () => {
    await created();
    const before = writes;
    await records.edit(SPEC.name, (edit) => edit.addMember(R_C, 1234));
    expect(onDisk(SPEC.name)?.replicas.map((r) => r.name)).toEqual(['r-a', 'r-b', 'r-c']);
    expect(onDisk(SPEC.name)?.rebuilding).toEqual({ 'r-c': { createdAtMs: 1234, phase: 'queued' } });
    await records.edit(SPEC.name, (edit) => edit.setRebuildPhase('r-c', 'copying-snapshots'));
    expect(onDisk(SPEC.name)?.rebuilding).toEqual({ 'r-c': { createdAtMs: 1234, phase: 'copying-snapshots' } });
    await records.edit(SPEC.name, (edit) => edit.dropRebuild('r-c'));
    expect(onDisk(SPEC.name)).toEqual({ ...SPEC, port: 4500, replicas: [...SPEC.replicas, R_C] });
    await records.edit(SPEC.name, (edit) => edit.removeMember('r-b'));
    expect(onDisk(SPEC.name)?.replicas.map((r) => r.name)).toEqual(['r-a', 'r-c']);
    expect(writes - before).toBe(4);
    await records.edit(SPEC.name, (edit) => edit.drop());
    expect(onDisk(SPEC.name)).toBeUndefined();
    expect(records.get(SPEC.name)).toBeUndefined();
    expect(writes - before).toBe(5);
  });

  it('a member added again at a new API address replaces it in place', async () => {
    await created();
    await records.edit(SPEC.name, (edit) => edit.addMember({ ...SPEC.replicas[1]!, apiAddress: '10.0.0.2:7000' } as EngineSpec['replicas'][number], 1));
    expect(onDisk(SPEC.name)?.replicas).toEqual([SPEC.replicas[0], { ...SPEC.replicas[1], apiAddress: '10.0.0.2:7000' }]);
  });

  it('removing a member drops its rebuild record with it', async () => {
    await created();
    await records.edit(SPEC.name, (edit) => edit.addMember(R_C, 1));
    await records.edit(SPEC.name, (edit) => edit.removeMember('r-c'));
    expect(onDisk(SPEC.name)).toEqual({ ...SPEC, port: 4500 });
  });

  it('an intent with nothing to change writes nothing', async () => {
    await created();
    const before = writes;
    await records.edit(SPEC.name, async (edit) => {
      await edit.setRebuildPhase('r-a', 'rebuilding');
      await edit.dropRebuild('r-a');
      await edit.removeMember('r-z');
    });
    await records.edit('vol-none', (edit) => edit.drop());
    expect(writes).toBe(before);
  });

  it('records survive a restart and come back frozen', async () => {
    await created();
    await records.edit(SPEC.name, (edit) => edit.addMember(R_C, 7));
    const reopened = new EngineRecords(StateFile.open(file, pino({ level: 'silent' })), new ObjectLocks());
    const spec = reopened.get(SPEC.name)!;
    expect(spec.rebuilding).toEqual({ 'r-c': { createdAtMs: 7, phase: 'queued' } });
    expect(() => (spec.replicas as unknown[]).pop()).toThrow(TypeError);
  });
});

describe('a failed write changes nothing', () => {
  it('the change is undone in memory, the intent throws, and the next write does not carry it', async () => {
    await created();
    const good = records.get(SPEC.name);
    const repair = breakWrites();
    const failed = records.edit(SPEC.name, (edit) => edit.addMember(R_C, 1));
    await expect(failed).rejects.toMatchObject({ code: 'STATE_FILE_UNWRITABLE' });
    expect(records.get(SPEC.name)).toBe(good);
    expect(onDisk(SPEC.name)).toEqual(good);
    repair();
    await records.edit(SPEC.name, (edit) => edit.setRebuildPhase('r-c', 'rebuilding'));
    await state.flush();
    expect(onDisk(SPEC.name)).toEqual(good);
  });

  it('a create whose record cannot be written leaves no engine behind', async () => {
    const repair = breakWrites();
    await expect(records.edit(SPEC.name, (edit) => edit.create(SPEC))).rejects.toBeInstanceOf(ConductorError);
    expect(records.get(SPEC.name)).toBeUndefined();
    expect(records.all()).toEqual([]);
    repair();
  });

  it('a drop that cannot be written settles: the engine is gone in spdk_tgt, so it is forgotten, and the next write records that', async () => {
    await created();
    const repair = breakWrites();
    await records.edit(SPEC.name, (edit) => edit.drop());
    expect(records.get(SPEC.name)).toBeUndefined();
    expect(onDisk(SPEC.name)).toEqual({ ...SPEC, port: 4500 });
    repair();
    await records.edit('vol-2', (edit) => edit.create({ ...SPEC, name: 'vol-2' }));
    expect(onDisk(SPEC.name)).toBeUndefined();
  });

  it('changes of other engines in the failed write are undone too, each to its own state', async () => {
    await created();
    const repair = breakWrites();
    const results = await Promise.allSettled([records.edit(SPEC.name, (edit) => edit.removeMember('r-b')), records.edit('vol-2', (edit) => edit.create({ ...SPEC, name: 'vol-2' }))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(records.get(SPEC.name)).toEqual({ ...SPEC, port: 4500 });
    expect(records.get('vol-2')).toBeUndefined();
    repair();
  });
});

describe('readers cannot change a record', () => {
  it('the record, its members, its hosts and its rebuilds are frozen', async () => {
    await created();
    await records.edit(SPEC.name, (edit) => edit.addMember(R_C, 1));
    const spec = records.get(SPEC.name)!;
    expect(() => {
      (spec as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => (spec.replicas as unknown[]).push(R_C)).toThrow(TypeError);
    expect(() => {
      (spec.replicas[0] as { name: string }).name = 'x';
    }).toThrow(TypeError);
    expect(() => (spec.hostNqns as string[]).pop()).toThrow(TypeError);
    expect(() => {
      (spec.rebuilding as Record<string, unknown>)['r-c'] = undefined;
    }).toThrow(TypeError);
    expect(() => (records.all() as unknown[]).pop()).not.toThrow();
    expect(records.get(SPEC.name)?.replicas).toHaveLength(3);
  });

  it('what a reader holds stays as it was read; the caller keeps its own objects', async () => {
    const asked = structuredClone(SPEC) as EngineSpec;
    await records.edit(SPEC.name, (edit) => edit.create(asked));
    expect(Object.isFrozen(asked.replicas)).toBe(false);
    const held = records.get(SPEC.name)!;
    await records.edit(SPEC.name, (edit) => edit.confirmCreated(4600));
    expect(held).toEqual({ ...SPEC, creating: true });
    expect(records.get(SPEC.name)?.port).toBe(4600);
  });
});

describe('the engine lock', () => {
  it('sections on one engine run one after another; other engines run beside them', async () => {
    const order: string[] = [];
    let release!: () => void;
    const first = records.edit(SPEC.name, async (edit) => {
      order.push('first in');
      await new Promise<void>((resolve) => (release = resolve));
      await edit.create(SPEC);
      order.push('first out');
    });
    const second = records.edit(SPEC.name, async (edit) => {
      order.push(`second sees ${edit.current?.creating ? 'creating' : 'nothing'}`);
    });
    await records.edit('vol-2', async () => {
      order.push('other engine');
    });
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'other engine', 'first out', 'second sees creating']);
  });

  it('an editor kept past its section refuses to change the record', async () => {
    await created();
    let kept: EngineEdit | undefined;
    await records.edit(SPEC.name, async (edit) => {
      kept = edit;
    });
    await expect(kept!.addMember(R_C, 1)).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(records.get(SPEC.name)?.replicas).toHaveLength(2);
  });
});

describe('the local-member index (replica → engines)', () => {
  const local = (name: string) => ({ name, kind: 'local' }) as const;

  it('follows creates, members added and removed, and drops, and comes back after a restart', async () => {
    await created();
    expect(records.localEnginesOf('r-a')).toEqual([SPEC.name]);
    // A remote member is no local engine's.
    expect(records.localEnginesOf('r-b')).toEqual([]);
    await records.edit(SPEC.name, (edit) => edit.addMember(local('r-d'), 1));
    expect(records.localEnginesOf('r-d')).toEqual([SPEC.name]);
    await records.edit(SPEC.name, (edit) => edit.removeMember('r-a'));
    expect(records.localEnginesOf('r-a')).toEqual([]);
    expect(new EngineRecords(StateFile.open(file, pino({ level: 'silent' })), new ObjectLocks()).localEnginesOf('r-d')).toEqual([SPEC.name]);
    await records.edit(SPEC.name, (edit) => edit.drop());
    expect(records.localEnginesOf('r-d')).toEqual([]);
  });

  it('lists a replica in two engines in the order of the records, as a pass over them did', async () => {
    await records.edit('vol-b', (edit) => edit.create({ ...SPEC, name: 'vol-b' }));
    await records.edit('vol-a', (edit) => edit.create({ ...SPEC, name: 'vol-a' }));
    expect(records.localEnginesOf('r-a')).toEqual(records.all().map((s) => s.name));
    expect(records.localEnginesOf('r-a')).toEqual(['vol-b', 'vol-a']);
  });

  it('is what it was before a change whose write failed', async () => {
    await created();
    const repair = breakWrites();
    const results = await Promise.allSettled([
      records.edit(SPEC.name, (edit) => edit.removeMember('r-a')),
      records.edit('vol-2', (edit) => edit.create({ ...SPEC, name: 'vol-2', replicas: [local('r-e'), local('r-f')] })),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(records.localEnginesOf('r-a')).toEqual([SPEC.name]);
    expect(records.localEnginesOf('r-e')).toEqual([]);
    repair();
  });
});
