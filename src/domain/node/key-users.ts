/**
 * Whether a key user (keys.ts: an export's host, an engine's member, a restore or a shallow copy) still exists, read from
 * the records after recovery: keys of users gone are released, the others kept.
 */
import type { DomainContext } from './context.js';
import type { EngineRecords } from '../engine/engine-records.js';
import { splitKeyUser } from './keys.js';

export function keyUserLive(
  user: string,
  ctx: Pick<DomainContext, 'state' | 'inventory'>,
  records: Pick<EngineRecords, 'get'>,
  restoring: (replica: string) => boolean = () => false,
  copying: (user: string) => boolean = () => false,
): boolean {
  const [kind, owner, rest] = splitKeyUser(user);
  // The record, not spdk_tgt: an export a restarted spdk_tgt lost still holds its keys (reconcile makes it again).
  if (kind === 'export') return (ctx.state.exportOf(owner)?.hostNqns.includes(rest) ?? false) || (ctx.inventory.exports.get(owner)?.hosts.includes(rest) ?? false);
  if (kind === 'engine') return records.get(owner)?.replicas.some((r) => r.name === rest) ?? false;
  // A restore's keys live as long as the restore: none survives the process (the sweep at start removes its export).
  if (kind === 'restore') return restoring(owner);
  // A shallow copy's keys live as long as the copy: none survives the process either.
  if (kind === 'copy') return copying(user);
  return false;
}
