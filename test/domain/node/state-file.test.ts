/**
 * The state file's format: checked against its schema when opened (a bad file is refused with its
 * path and the JSON path of the first bad key, and left byte for byte as it was), migrated from
 * version 1 (a fixture in the format the service wrote before version 2), and its disk and export
 * records written and read back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConductorError } from '../../../src/errors.js';
import type { DiskRecord, ExportRecord } from '../../../src/domain/node/inventory.js';
import { StateFile } from '../../../src/domain/node/state-file.js';
import { tempDir } from '../../helpers/temp-dir.js';

const V1_FIXTURE = fileURLToPath(new URL('../fixtures/state-v1.json', import.meta.url));
const silent = pino({ level: 'silent' });

const DISK: DiskRecord = {
  name: 'd1',
  bdevName: 'disk.d1',
  kind: 'aio',
  path: '/var/lib/disks/d1.img',
  lvstoreName: 'lvs.d1',
  lvstoreUuid: '5f0c7a34-3f6e-4b8e-9d7a-2c1f00000001',
  clusterSize: 1048576,
  blockSize: 4096,
  totalClusters: 1000,
  freeClusters: 1000,
};

const EXPORT: ExportRecord = {
  replica: 'r1',
  nqn: 'nqn.2024-01.io.spdk-conductor:replica:r1',
  hosts: ['nqn.2014-08.org.nvmexpress:uuid:8d2a6d6e-1111-4c5e-9c66-5a1b2c3d4e5f'],
  listeners: [{ address: '127.0.0.1', port: 4420 }],
  namespace: undefined,
};

/** A valid version 2 file, as the service writes it, for the refusal cases to break one key of. */
async function validFile(): Promise<{ file: string; data: Record<string, unknown> }> {
  const file = path.join(tempDir('state-'), 'state.json');
  fs.copyFileSync(V1_FIXTURE, file);
  const state = StateFile.open(file, silent);
  await state.recordDisk(DISK);
  await state.recordExport(EXPORT);
  return { file, data: JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> };
}

function refusal(file: string): ConductorError {
  try {
    StateFile.open(file, silent);
  } catch (err) {
    if (err instanceof ConductorError) return err;
    throw err;
  }
  throw new Error(`${file} was accepted`);
}

describe('state file: version 1 is migrated', () => {
  it('opens a version 1 file with its engines, snapshot metadata and intents, and leaves the file as it was until a change', async () => {
    const file = path.join(tempDir('state-'), 'state.json');
    fs.copyFileSync(V1_FIXTURE, file);
    const before = fs.readFileSync(file);
    const lines: string[] = [];
    const state = StateFile.open(file, pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }));
    expect(lines.some((l) => l.includes('"msg":"state file migrated"') && l.includes('"from":1') && l.includes('"to":2'))).toBe(true);
    expect(fs.readFileSync(file).equals(before)).toBe(true);

    const v1 = JSON.parse(before.toString()) as { engines: Record<string, unknown>; intents: Record<string, unknown> };
    expect(state.engines()).toEqual(Object.values(v1.engines));
    expect(state.snapshotMeta('vol-a-r1', 'daily-1')).toEqual({ createdAt: '2026-12-01T03:00:00.000Z', labels: { schedule: 'daily' }, userCreated: true });
    expect(state.intents()).toEqual(Object.values(v1.intents));
    expect(state.disks()).toEqual([]);
    expect(state.exports()).toEqual([]);

    await state.recordDisk(DISK);
    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as { version: number; engines: unknown; snapshots: unknown; intents: unknown };
    expect(written.version).toBe(2);
    expect(written.engines).toEqual(v1.engines);
    expect(written.intents).toEqual(v1.intents);
    // The migrated file opens as version 2, with everything.
    const again = StateFile.open(file, silent);
    expect(again.engines()).toEqual(state.engines());
    expect(again.disks()).toEqual([{ name: 'd1', kind: 'aio', path: '/var/lib/disks/d1.img', lvstoreUuid: DISK.lvstoreUuid, clusterSize: 1048576, blockSize: 4096 }]);
  });

  it('a version 1 file with no tables at all opens empty', () => {
    const file = path.join(tempDir('state-'), 'state.json');
    fs.writeFileSync(file, '{"version":1}');
    const state = StateFile.open(file, silent);
    expect([state.engines(), state.disks(), state.exports(), state.intents(), state.allSnapshotMeta()]).toEqual([[], [], [], [], []]);
  });
});

describe('state file: records of disks and exports', () => {
  it('records, re-records with a new host list keeping security key names, and forgets', async () => {
    const file = path.join(tempDir('state-'), 'state.json');
    const state = StateFile.open(file, silent);
    await state.recordExport(EXPORT);
    expect(StateFile.open(file, silent).exportOf('r1')).toEqual({ replica: 'r1', hostNqns: EXPORT.hosts, address: '127.0.0.1', port: 4420 });

    // Security options (key names) come from their own writer; a host list change keeps them.
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { exports: Record<string, Record<string, unknown>> };
    data.exports['r1']!['security'] = { hosts: { [EXPORT.hosts[0]!]: { dhchapKey: 'key-r1-host1' } } };
    fs.writeFileSync(file, JSON.stringify(data));
    const reopened = StateFile.open(file, silent);
    const second = 'nqn.2014-08.org.nvmexpress:uuid:00000000-2222-4c5e-9c66-5a1b2c3d4e5f';
    await reopened.recordExport({ ...EXPORT, hosts: [...EXPORT.hosts, second] });
    expect(StateFile.open(file, silent).exportOf('r1')).toEqual({
      replica: 'r1',
      hostNqns: [...EXPORT.hosts, second],
      address: '127.0.0.1',
      port: 4420,
      security: { hosts: { [EXPORT.hosts[0]!]: { dhchapKey: 'key-r1-host1' } } },
    });

    await reopened.forgetExport('r1');
    expect(StateFile.open(file, silent).exports()).toEqual([]);
  });

  it('adopt records what spdk_tgt has and no record names, in one write, and keeps existing records as they are', async () => {
    const file = path.join(tempDir('state-'), 'state.json');
    const state = StateFile.open(file, silent);
    await state.recordDisk(DISK);
    const moved: DiskRecord = { ...DISK, lvstoreUuid: 'another' };
    const d2: DiskRecord = { ...DISK, name: 'd2', path: '/var/lib/disks/d2.img' };
    const halfMade: ExportRecord = { ...EXPORT, replica: 'r2', listeners: [] };
    expect(await state.adopt([moved, d2], [EXPORT, halfMade])).toEqual(['disk d2', 'export r1']);
    const reread = StateFile.open(file, silent);
    expect(reread.disks().map((d) => [d.name, d.lvstoreUuid])).toEqual([
      ['d1', DISK.lvstoreUuid],
      ['d2', DISK.lvstoreUuid],
    ]);
    expect(reread.exports().map((e) => e.replica)).toEqual(['r1']);
    expect(await reread.adopt([DISK, d2], [EXPORT])).toEqual([]);
  });
});

describe('state file: group commit', () => {
  it('changes made while a write runs share the next write: 8 callers making 10 changes each in turn cost about one write per turn, not one each', async () => {
    const file = path.join(tempDir('state-'), 'state.json');
    let writes = 0;
    const state = StateFile.open(file, pino({ level: 'debug' }, { write: (l: string) => void (l.includes('"msg":"state file written"') && writes++) }));
    const caller = async (c: number): Promise<void> => {
      for (let n = 0; n < 10; n++) await state.recordExport({ ...EXPORT, replica: `r-${c}-${n}` });
    };
    await Promise.all(Array.from({ length: 8 }, (_, c) => caller(c)));
    expect(writes).toBeGreaterThanOrEqual(10);
    expect(writes).toBeLessThanOrEqual(22);
    expect(StateFile.open(file, silent).exports()).toHaveLength(80);
  });

  it('holds no descriptor of the state directory at rest, after a burst of writes or a failed one', async () => {
    const dir = tempDir('state-');
    const file = path.join(dir, 'state.json');
    const fault = path.join(dir, 'fault');
    const target = (fd: string): string | undefined => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return undefined; // closed since the listing
      }
    };
    const real = fs.realpathSync(dir);
    const held = () => fs.readdirSync('/proc/self/fd').filter((fd) => target(fd) === real).length;
    const state = StateFile.open(file, silent);
    // A change made while a write runs queues the next write: the directory stays open for it.
    const first = state.recordExport({ ...EXPORT, replica: 'r-1' });
    await new Promise<void>((resolve) => setImmediate(resolve));
    const second = state.recordExport({ ...EXPORT, replica: 'r-2' });
    await first;
    const during = held();
    await second;
    expect(during).toBe(1);
    expect(held()).toBe(0);
    process.env.CONDUCTOR_STATE_WRITE_FAULT = fault;
    try {
      fs.writeFileSync(fault, 'EROFS');
      await expect(state.recordExport({ ...EXPORT, replica: 'refused' })).rejects.toThrow(/read-only/);
    } finally {
      fs.rmSync(fault, { force: true });
      delete process.env.CONDUCTOR_STATE_WRITE_FAULT;
    }
    expect(held()).toBe(0);
    expect(StateFile.open(file, silent).exports()).toHaveLength(2);
  });
});

describe('state file: a wrongly shaped file is refused, named, and left untouched', () => {
  // biome-ignore lint/suspicious/noExplicitAny: each case reaches into the parsed file to break one key of it
  type Edit = (data: Record<string, any>) => void;
  const cases: Array<[what: string, edit: Edit | string, message: RegExp]> = [
    ['not JSON', '{"version": 2, "disks": {', /is damaged \(.*JSON.*\); move it aside/],
    ['not an object', '[]', /\$ must be an object/],
    ['a newer version', (d) => void (d['version'] = 3), /\$\.version is 3, written by a newer spdk-conductor \(this one reads versions 1 to 2\)/],
    ['no version', (d) => void delete d['version'], /\$\.version is missing/],
    ['a port as text', (d) => void (d['engines']['vol-a']['port'] = '4521'), /\$\.engines\["vol-a"\]\.port must be integer/],
    ['an unknown key', (d) => void (d['disks']['d1']['colour'] = 'blue'), /\$\.disks\.d1\.colour is not a known key/],
    ['a missing key', (d) => void delete d['exports']['r1']['port'], /\$\.exports\.r1\.port is missing/],
    ['an unknown member kind', (d) => void (d['engines']['vol-a']['replicas'][1]['kind'] = 'iscsi'), /\$\.engines\["vol-a"\]\.replicas\[1\]\.kind has an unknown value "iscsi"/],
    ['a bad enum', (d) => void (d['disks']['d1']['kind'] = 'rbd'), /\$\.disks\.d1\.kind must be one of "aio", "nvme"/],
    ['an intent without its disk', (d) => void delete d['intents']['vol-b-r1']['disk'], /\$\.intents\["vol-b-r1"\]\.disk is missing/],
    ['a label that is not text', (d) => void (d['snapshots']['vol-a-r1/daily-1']['labels']['n'] = 1), /\$\.snapshots\["vol-a-r1\/daily-1"\]\.labels\.n must be string/],
    [
      "a rebuild's recorded progress over 100 %",
      (d) => {
        d['engines']['vol-a']['rebuilding'] = {
          r9: { createdAtMs: 1, phase: 'rebuilding', view: { path: 'raid', pathReason: '', source: '', snapshots: [], raidBaseBytes: 0, bytesDone: 0, bytesTotal: 0, percent: 101 } },
        };
      },
      /\$\.engines\["vol-a"\]\.rebuilding\.r9\.view\.percent must be <= 100/,
    ],
    [
      'a secret where a key name belongs',
      (d) => void (d['exports']['r1']['security'] = { hosts: { h: { dhchapKey: 'DHHC-1:00:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0:' } } }),
      /\$\.exports\.r1\.security\.hosts\.h\.dhchapKey must match pattern/,
    ],
  ];
  for (const [what, edit, message] of cases) {
    it(what, async () => {
      const { file, data } = await validFile();
      if (typeof edit === 'string') fs.writeFileSync(file, edit);
      else {
        edit(data);
        fs.writeFileSync(file, JSON.stringify(data, null, 1));
      }
      const before = fs.readFileSync(file);
      const err = refusal(file);
      expect(err.code).toBe('STATE_FILE_UNREADABLE');
      expect(err.message).toContain(file);
      expect(err.message).toMatch(message);
      // The secret itself is never repeated in the message.
      expect(err.message).not.toContain('c2VjcmV0');
      expect(fs.readFileSync(file).equals(before)).toBe(true);
      expect(fs.readdirSync(path.dirname(file))).toEqual(['state.json']);
    });
  }
});

/**
 * The file's text is kept per record and written in blocks (state-serialize.ts); these cases drive
 * a StateFile and, beside it, a plain object through the same changes, and expect the file to be
 * byte for byte JSON.stringify of that object after each burst of changes.
 */
describe('state file: the text written is JSON.stringify of the state', () => {
  const hostOf = (n: number) => `nqn.2014-08.org.nvmexpress:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const exportOf = (replica: string, port: number, hosts = 1): ExportRecord => ({
    ...EXPORT,
    replica,
    hosts: Array.from({ length: hosts }, (_, h) => hostOf(h)),
    listeners: [{ address: '127.0.0.1', port }],
  });
  type Model = Record<string, unknown> & {
    exports: Record<string, unknown>;
    snapshots: Record<string, unknown>;
    intents: Record<string, unknown>;
    engines: Record<string, unknown>;
    keptPorts?: Record<string, number>;
  };
  const dictionary = (): Record<string, never> => Object.create(null) as Record<string, never>;
  const emptyModel = (): Model => ({ version: 2, disks: dictionary(), exports: dictionary(), engines: dictionary(), snapshots: dictionary(), intents: dictionary() });
  const expectFile = (file: string, model: Model): void => {
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toBe(JSON.stringify(model, null, 1));
  };
  /** A seeded generator: the same sequence of changes every run. */
  const random = (seed: number) => () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };

  it('records changed, removed and added again between writes, across many blocks, and keys that are array indices', async () => {
    const file = path.join(tempDir('state-'), 'state.json');
    const state = StateFile.open(file, silent);
    const model = emptyModel();
    const next = random(16);
    // Replica names of digits only are ordered by JSON.stringify before all others, by value.
    const names = Array.from({ length: 400 }, (_, n) => (n % 10 === 0 ? String(n * 7) : `r-${n}`));
    const present = new Set<string>();
    for (let round = 0; round < 12; round++) {
      const pending: Array<Promise<void>> = [];
      for (let change = 0; change < 80; change++) {
        const name = names[Math.floor(next() * names.length)]!;
        const kind = next();
        if (kind < 0.45) {
          const port = 4420 + Math.floor(next() * 1000);
          const hosts = 1 + Math.floor(next() * 2);
          pending.push(state.recordExport(exportOf(name, port, hosts)));
          model.exports[name] = { replica: name, hostNqns: exportOf(name, port, hosts).hosts, address: '127.0.0.1', port };
          present.add(name);
        } else if (kind < 0.75) {
          pending.push(state.forgetExport(name));
          delete model.exports[name];
          present.delete(name);
        } else if (kind < 0.85) {
          const meta = { createdAt: new Date(round * 1000).toISOString(), labels: { round: String(round) }, userCreated: kind < 0.8 };
          pending.push(state.setSnapshotMeta(name, `s${round}`, meta));
          model.snapshots[`${name}/s${round}`] = structuredClone(meta);
          // The caller's object is the caller's: changing it later changes nothing recorded.
          meta.labels.round = 'changed after';
        } else if (kind < 0.92) {
          pending.push(state.setIntent({ op: 'replica-delete', replica: name, disk: 'd1' }));
          model.intents[name] = { op: 'replica-delete', replica: name, disk: 'd1' };
        } else {
          pending.push(state.clearIntent(name));
          delete model.intents[name];
        }
        if (change % 20 === 0) {
          // Forgotten, then given again: it moves to the end of its table.
          state.keepPort(`export/${name}`, 5000 + change);
          model.keptPorts ??= dictionary();
          delete model.keptPorts[`export/${name}`];
          model.keptPorts[`export/${name}`] = 5000 + change;
        }
      }
      await Promise.all(pending);
      expectFile(file, model);
    }
    expect(present.size).toBeGreaterThan(100);
    expect(Object.keys(model.exports).some((k) => /^\d+$/.test(k))).toBe(true);
    // A reopened file reads back the same records, and its next write is the same text.
    const reopened = StateFile.open(file, silent);
    expect(reopened.exports()).toEqual(Object.values(model.exports));
    await reopened.recordDisk(DISK);
    const disks = model.disks as Record<string, unknown>;
    disks.d1 = { name: 'd1', kind: 'aio', path: DISK.path, lvstoreUuid: DISK.lvstoreUuid, clusterSize: DISK.clusterSize, blockSize: DISK.blockSize };
    expectFile(file, model);
  });

  it('a key deleted and inserted again goes last, as in an object; a record set again keeps its place', async () => {
    const file = path.join(tempDir('state-'), 'state.json');
    const state = StateFile.open(file, silent);
    for (const name of ['a', 'b', 'c', '10', '2']) await state.recordExport(exportOf(name, 4420));
    await state.forgetExport('a');
    await state.recordExport(exportOf('a', 4421));
    await state.recordExport(exportOf('b', 4422));
    await state.forgetExport('10');
    await state.recordExport(exportOf('10', 4423));
    const order = Object.keys((JSON.parse(fs.readFileSync(file, 'utf8')) as Model).exports);
    expect(order).toEqual(['2', '10', 'b', 'c', 'a']);
    expect(fs.readFileSync(file, 'utf8')).toBe(JSON.stringify(JSON.parse(fs.readFileSync(file, 'utf8')), null, 1));
  });

  it('records changed while a write makes its text in slices are carried by the next write', async () => {
    const file = path.join(tempDir('state-'), 'state.json');
    const model = emptyModel();
    const first = StateFile.open(file, silent);
    const records = 6000;
    for (let n = 0; n < records; n++) {
      void first.recordExport(exportOf(`r-${n}`, 4420));
      model.exports[`r-${n}`] = { replica: `r-${n}`, hostNqns: [hostOf(0)], address: '127.0.0.1', port: 4420 };
    }
    await first.recordExport(exportOf('r-0', 4420));
    // Reopened, no block's text is made yet: the next write makes them all, yielding between slices.
    const state = StateFile.open(file, silent);
    const write = state.recordExport(exportOf('r-0', 4421));
    model.exports['r-0'] = { replica: 'r-0', hostNqns: [hostOf(0)], address: '127.0.0.1', port: 4421 };
    // At the write's first yield: a record of the last block, which the write reaches last. Its
    // block is changed once only, so text made from what the write took must not be kept for it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const last = `r-${records - 1}`;
    const later = state.recordExport(exportOf(last, 5000));
    model.exports[last] = { replica: last, hostNqns: [hostOf(0)], address: '127.0.0.1', port: 5000 };
    await write;
    await later;
    expectFile(file, model);
    // And once more, from the blocks kept by those writes.
    await state.recordExport(exportOf('r-1', 4422));
    model.exports['r-1'] = { replica: 'r-1', hostNqns: [hostOf(0)], address: '127.0.0.1', port: 4422 };
    expectFile(file, model);
  });

  it("a replica's delete drops its own snapshot metadata only (not a replica whose name it begins), before and after a reopen and an undone write", async () => {
    const dir = tempDir('state-');
    const file = path.join(dir, 'state.json');
    const fault = path.join(dir, 'fault');
    let state = StateFile.open(file, silent);
    const model = emptyModel();
    const meta = (n: number) => ({ createdAt: new Date(n * 1000).toISOString(), labels: { n: String(n) }, userCreated: n % 2 === 0 });
    const names = ['r1', 'r10', 'r1-a', '1', '10', 'r2'];
    for (const [i, name] of names.entries()) {
      for (let s = 0; s < 3; s++) {
        await state.setSnapshotMeta(name, `s${s}`, meta(i * 10 + s));
        model.snapshots[`${name}/s${s}`] = meta(i * 10 + s);
      }
      await state.setIntent({ op: 'replica-delete', replica: name, disk: 'd1' });
      model.intents[name] = { op: 'replica-delete', replica: name, disk: 'd1' };
    }
    const drop = async (name: string): Promise<void> => {
      await state.dropReplica(name);
      for (const key of Object.keys(model.snapshots)) if (key.startsWith(`${name}/`)) delete model.snapshots[key];
      delete model.intents[name];
      expectFile(file, model);
      expect(state.allSnapshotMeta().filter(([replica]) => replica === name)).toEqual([]);
    };
    await drop('r1');
    expect(state.snapshotMeta('r10', 's0')).toEqual(meta(10));
    expect(state.snapshotMeta('r1-a', 's2')).toEqual(meta(22));
    await drop('1');
    expect(state.snapshotMeta('10', 's1')).toEqual(meta(41));
    // Metadata set again after its replica's delete is dropped by the next delete.
    await state.setSnapshotMeta('r1', 'again', meta(99));
    model.snapshots['r1/again'] = meta(99);
    await drop('r1');
    // A reopened file knows its records' replicas.
    state = StateFile.open(file, silent);
    await drop('r10');
    // An undone write leaves nothing for a later delete to find, and forgets nothing it should drop.
    process.env.CONDUCTOR_STATE_WRITE_FAULT = fault;
    try {
      fs.writeFileSync(fault, 'ENOSPC');
      await expect(state.setSnapshotMeta('r2', 's9', meta(9))).rejects.toMatchObject({ code: 'STATE_FILE_NO_SPACE' });
      await expect(state.setSnapshotMeta('r7', 's0', meta(7))).rejects.toMatchObject({ code: 'STATE_FILE_NO_SPACE' });
    } finally {
      fs.rmSync(fault, { force: true });
      delete process.env.CONDUCTOR_STATE_WRITE_FAULT;
    }
    await drop('r2');
    await drop('r7');
    await drop('r1-a');
    await drop('10');
    expect(state.allSnapshotMeta()).toEqual([]);
  });

  it('a failed write undoes its changes in memory, and the next write is exact', async () => {
    const dir = tempDir('state-');
    const file = path.join(dir, 'state.json');
    const fault = path.join(dir, 'fault');
    const state = StateFile.open(file, silent);
    const model = emptyModel();
    for (let n = 0; n < 150; n++) {
      void state.recordExport(exportOf(`r-${n}`, 4420 + n));
      model.exports[`r-${n}`] = { replica: `r-${n}`, hostNqns: [hostOf(0)], address: '127.0.0.1', port: 4420 + n };
    }
    await state.setIntent({ op: 'replica-delete', replica: 'r-5', disk: 'd1' });
    model.intents['r-5'] = { op: 'replica-delete', replica: 'r-5', disk: 'd1' };
    expectFile(file, model);

    process.env.CONDUCTOR_STATE_WRITE_FAULT = fault;
    try {
      fs.writeFileSync(fault, 'ENOSPC');
      const refused = await Promise.allSettled([
        state.recordExport(exportOf('r-7', 9999, 2)),
        state.recordExport(exportOf('new', 9998)),
        state.setIntent({ op: 'replica-delete', replica: 'r-5', disk: 'd2' }),
        state.setIntent({ op: 'replica-delete', replica: 'r-9', disk: 'd1' }),
        state.setSnapshotMeta('r-9', 's', { createdAt: new Date(0).toISOString(), labels: {}, userCreated: true }),
      ]);
      expect(refused.map((r) => (r.status === 'rejected' ? (r.reason as ConductorError).code : r.status))).toEqual(Array(5).fill('STATE_FILE_NO_SPACE'));
      expect(state.exportOf('r-7')?.port).toBe(4427);
      expect(state.exportOf('new')).toBeUndefined();
      expect(state.intentOf('r-5')).toEqual({ op: 'replica-delete', replica: 'r-5', disk: 'd1' });
      expect(state.intentOf('r-9')).toBeUndefined();
      expect(state.snapshotMeta('r-9', 's')).toBeUndefined();
      expectFile(file, model);
    } finally {
      fs.rmSync(fault, { force: true });
      delete process.env.CONDUCTOR_STATE_WRITE_FAULT;
    }
    await state.recordExport(exportOf('r-8', 7000));
    model.exports['r-8'] = { replica: 'r-8', hostNqns: [hostOf(0)], address: '127.0.0.1', port: 7000 };
    expectFile(file, model);
  });
});
