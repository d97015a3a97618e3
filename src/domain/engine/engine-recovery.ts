/**
 * Engines at start: what the state file recorded is rolled back or adopted, and what carries an
 * engine's name in spdk_tgt but belongs to no record is removed.
 */
import type { CallOptions } from '../../spdk/call.js';
import type { NvmeController } from '../../spdk/methods/nvme.js';
import { nameProblem } from '../../validation/names.js';
import type { DomainContext } from '../node/context.js';
import { parseEngineController } from '../node/naming.js';
import type { EngineRecords } from './engine-records.js';
import { bareSpec, type Engines } from './engines.js';

/**
 * After a restart: engines whose create never returned are rolled back; the others are adopted
 * as they are in spdk_tgt (a lost raid shows as faulted, with why). Controllers and raids that
 * carry engine names but belong to no engine are removed, using this node's spdk_tgt only.
 */
export async function recoverEngines(
  ctx: Pick<DomainContext, 'spdk' | 'ports'>,
  records: EngineRecords,
  engines: Engines,
  controllers: readonly NvmeController[],
  options?: CallOptions,
): Promise<{ adopted: string[]; rolledBack: string[]; strays: string[] }> {
  const adopted: string[] = [];
  const rolledBack: string[] = [];
  for (const spec of records.all()) {
    if (spec.creating) {
      await records.edit(spec.name, (edit) => engines.teardown(spec, edit, options));
      rolledBack.push(spec.name);
    } else {
      if (spec.port) ctx.ports.markUsed(spec.port);
      adopted.push(spec.name);
    }
  }
  const known = new Set(records.all().map((s) => s.name));
  // Per stray engine, its controllers as the start's one read found them: none is read again.
  const strays = new Map<string, string[]>();
  for (const controller of controllers) {
    const parsed = parseEngineController(controller.name);
    if (parsed && !known.has(parsed.volume)) strays.set(parsed.volume, [...(strays.get(parsed.volume) ?? []), controller.name]);
  }
  for (const raid of await ctx.spdk.raid.getBdevs('all', options)) {
    const volume = raid.name.slice(2);
    if (raid.name.startsWith('e.') && !known.has(volume) && !nameProblem('volume', volume) && !strays.has(volume)) strays.set(volume, []);
  }
  for (const [volume, names] of strays) await records.edit(volume, (edit) => engines.teardown(bareSpec(volume), edit, options, names));
  return { adopted, rolledBack, strays: [...strays.keys()] };
}
