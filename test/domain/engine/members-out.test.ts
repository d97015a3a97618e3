/**
 * The `out` marks of the engine record (domain/engine/members-out.ts): a member the online raid
 * lacks and no rebuild covers is marked; one marked that the online raid holds configured again,
 * with no rebuild of it running or recorded, is back in sync and unmarked. A rebuild spdk_tgt ran
 * and finished between two monitor passes left no record whose end cleared the mark (seen as a
 * flaky salvage test: the state file kept `out: ['rd']` after rd was rebuilt).
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { EngineRecords } from '../../../src/domain/engine/engine-records.js';
import { backIn, newlyOut, recordMembersOut } from '../../../src/domain/engine/members-out.js';
import { Inventory } from '../../../src/domain/node/inventory.js';
import { alias, engineMemberBdev, engineRaidName, headLvolName } from '../../../src/domain/node/naming.js';
import type { EngineSpec } from '../../../src/domain/node/state-file.js';
import type { RaidBdev } from '../../../src/spdk/methods/raid.js';

const ctx = { inventory: new Inventory() };
const member = (name: string) => ({ name, kind: 'remote' as const, address: '127.0.0.1', port: 4420, nqn: `nqn.2016-06.io.spdk:${name}` });

function spec(extra: Partial<EngineSpec> = {}): EngineSpec {
  return { name: 'v', sizeBytes: 1 << 24, replicas: [member('rc'), member('rd')], frontend: 'export-only', hostNqns: [], port: 0, ...extra } as EngineSpec;
}

function raid(configured: string[], extra: Partial<RaidBdev> = {}): RaidBdev {
  const slot = (name: string) => ({ name: engineMemberBdev('v', name), uuid: name, is_configured: configured.includes(name), data_offset: 0, data_size: 4096 });
  return {
    name: 'e.v',
    uuid: 'u',
    strip_size_kb: 0,
    state: 'online',
    raid_level: 'raid1',
    superblock: false,
    num_base_bdevs: 2,
    num_base_bdevs_discovered: configured.length,
    num_base_bdevs_operational: configured.length,
    base_bdevs_list: ['rc', 'rd'].map(slot),
    ...extra,
  };
}

describe('members out of sync by the engine record', () => {
  it('marks a member the online raid lacks, and not one it holds or one being rebuilt', () => {
    expect(newlyOut(spec(), raid(['rc']), ctx)).toEqual(['rd']);
    expect(newlyOut(spec(), raid(['rc', 'rd']), ctx)).toEqual([]);
    expect(newlyOut(spec({ rebuilding: { rd: { createdAtMs: 0, phase: 'queued' } } }), raid(['rc']), ctx)).toEqual([]);
    expect(newlyOut(spec({ out: ['rd'] }), raid(['rc']), ctx)).toEqual([]);
  });

  it('unmarks a marked member the online raid holds configured again with no rebuild of it running or recorded', () => {
    expect(backIn(spec({ out: ['rd'] }), raid(['rc', 'rd']), ctx)).toEqual(['rd']);
    // Still being rebuilt: by spdk_tgt's process, or by a rebuild the record holds.
    expect(backIn(spec({ out: ['rd'] }), raid(['rc', 'rd'], { process: { type: 'rebuild', target: engineMemberBdev('v', 'rd'), progress: { blocks: 8, percent: 1 } } }), ctx)).toEqual([]);
    expect(backIn(spec({ out: ['rd'], rebuilding: { rd: { createdAtMs: 0, phase: 'rebuilding' } } }), raid(['rc', 'rd']), ctx)).toEqual([]);
    // Not held, or a raid that says nothing of its members.
    expect(backIn(spec({ out: ['rd'] }), raid(['rc']), ctx)).toEqual([]);
    expect(backIn(spec({ out: ['rd'] }), raid(['rc', 'rd'], { state: 'configuring' }), ctx)).toEqual([]);
    expect(backIn(spec({ out: ['rd'] }), undefined, ctx)).toEqual([]);
    expect(backIn(spec(), raid(['rc', 'rd']), ctx)).toEqual([]);
  });
});

describe('a monitor pass over many engines', () => {
  it('gives the event loop back while it checks them, and still marks the one that changed', async () => {
    // 60 engines of two local members whose slot names cost >= 0.5 ms each (a slow head lookup):
    // one synchronous pass would hold the loop >= 60 ms; in slices an immediate queued before the
    // pass runs during it. The last engine's raid lacks rd: it alone is edited.
    const local = (name: string) => ({ name, kind: 'local' as const });
    const specs = Array.from({ length: 60 }, (_, i) => spec({ name: `v${i}`, replicas: [local('rc'), local('rd')] }));
    const slot = (m: string, configured: boolean) => ({ name: alias('?', headLvolName(m)), uuid: m, is_configured: configured, data_offset: 0, data_size: 4096 });
    const raids = new Map(specs.map((s, i) => [engineRaidName(s.name), raid([], { name: engineRaidName(s.name), base_bdevs_list: [slot('rc', true), slot('rd', i !== 59)] })]));
    let immediateRan = false;
    const seen: boolean[] = [];
    const inventory = Object.create(ctx.inventory) as Inventory;
    inventory.head = () => {
      seen.push(immediateRan);
      const until = performance.now() + 0.5;
      while (performance.now() < until);
      return undefined;
    };
    const edited: Array<{ engine: string; out: readonly string[] }> = [];
    const records = {
      all: () => specs,
      edit: async (name: string, work: (e: unknown) => Promise<void>) =>
        work({
          current: specs.find((s) => s.name === name),
          markOut: async (out: readonly string[]) => void edited.push({ engine: name, out }),
          markIn: async () => undefined,
        }),
    } as unknown as EngineRecords;
    setImmediate(() => (immediateRan = true));
    const marked = await recordMembersOut({ inventory, log: pino({ level: 'silent' }) }, records, raids);
    expect(seen.length).toBeGreaterThanOrEqual(120);
    expect(seen[0]).toBe(false);
    expect(seen.some((ran) => ran)).toBe(true);
    expect(marked).toEqual(['v59/rd']);
    expect(edited).toEqual([{ engine: 'v59', out: ['rd'] }]);
  });
});
