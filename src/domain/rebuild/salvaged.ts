/**
 * The members a create's salvage left out of the raid go back through the rebuild queue, each
 * rebuilt from the source. One that cannot be queued now stays out of the raid and a member of
 * the engine: EngineRepair and reconcile add it back.
 */
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { EngineRecords } from '../engine/engine-records.js';
import type { EngineInfo } from '../model.js';
import type { Rebuilds } from './rebuilds.js';

export async function rebuildSalvaged(
  ctx: Pick<DomainContext, 'log'>,
  records: Pick<EngineRecords, 'get'>,
  rebuilds: Pick<Rebuilds, 'add'>,
  info: EngineInfo,
  options?: CallOptions,
): Promise<EngineInfo> {
  const spec = records.get(info.name);
  const rebuilt = spec?.salvage?.members.filter((m) => m.verdict === 'rebuilt') ?? [];
  if (!spec || rebuilt.length === 0) return info;
  let latest = info;
  for (const { replica } of rebuilt) {
    const member = spec.replicas.find((r) => r.name === replica);
    if (!member) continue;
    try {
      latest = await rebuilds.add(spec.name, member, options);
    } catch (error) {
      ctx.log.warn({ engine: spec.name, replica, err: (error as Error).message }, 'salvaged member not queued for its rebuild; EngineRepair adds it back');
    }
  }
  return latest;
}
