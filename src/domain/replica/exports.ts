/**
 * Replica exports over NVMe-oF/TCP: one subsystem per replica, reachable only by the engine hosts
 * it names (never allow_any_host), one namespace whose uuid/nguid come from the replica's name, one
 * listener on a port from the managed range.
 *
 * Steps go hosts → namespace → listener, so an export that has a listener is complete: recovery
 * removes any subsystem of ours that lacks its namespace or listener (a create that died midway).
 */
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { ExportRecord } from '../node/inventory.js';
import type { ExportIntent } from '../node/state-file.js';
import type { ExposeMode } from '../model.js';
import { alias, headLvolName, namespaceIds, replicaNqn } from '../node/naming.js';
import { nqnProblem } from '../../validation/nqn.js';
import { deleteQuietly, existsVerdict, translate } from '../node/spdk-verdicts.js';

/** Ports spdk_tgt could not listen on (taken by another process) are skipped this many times. */
const PORT_ATTEMPTS = 8;

export class Exports {
  constructor(private readonly ctx: Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'state' | 'admission' | 'ports' | 'settings' | 'log'>) {}

  /**
   * Makes the replica's export match `hostNqns` (creating it, or changing its host list). With
   * `headReady`, the subsystem and its hosts are made while the replica's head is still being
   * created (they are independent objects, so their calls may share spdk_tgt's polls); the
   * namespace waits for it, and the export is rolled back if it fails.
   */
  async expose(replica: string, disk: string, hostNqns: string[], options?: CallOptions, headReady?: Promise<unknown>): Promise<ExportRecord> {
    const hosts = checkHosts(hostNqns);
    const existing = this.ctx.inventory.exports.get(replica);
    if (existing) {
      await headReady;
      return this.converge(existing, hosts, options);
    }
    return this.create(replica, disk, hosts, options, headReady);
  }

  /**
   * The hosts an expose of `replica` to `asked` should leave it with, and what that is: an export
   * made, hosts added, the list replaced, or nothing. An export that allows other hosts is changed
   * only as `mode` says: without a mode the caller did not say whether the other hosts stay, and
   * guessing either way has exposed a replica to the wrong host or cut an engine off.
   */
  plan(replica: string, asked: readonly string[], mode: ExposeMode | undefined): { hosts: string[]; outcome: 'created' | 'added' | 'replaced' | 'unchanged' } {
    checkHosts(asked);
    const current = this.ctx.inventory.exports.get(replica)?.hosts;
    if (!current) return { hosts: [...asked], outcome: 'created' };
    const hosts = mode === 'add' ? [...current, ...asked.filter((h) => !current.includes(h))] : [...asked];
    if (sameHosts(current, hosts)) return { hosts, outcome: 'unchanged' };
    if (mode === undefined) {
      throw new ConductorError(
        'EXPOSE_MODE_REQUIRED',
        `replica ${replica} is already exposed to ${hostList(current)}; say EXPOSE_MODE_ADD to allow these hosts as well, or EXPOSE_MODE_REPLACE to allow only them`,
        { field: 'mode' },
      );
    }
    return { hosts, outcome: mode === 'add' ? 'added' : 'replaced' };
  }

  /**
   * Makes a recorded export again in a spdk_tgt that forgot it (reconcile): the same NQN, hosts,
   * address and port, so the engines' controllers find it where they left it. Its record is
   * already what it was asked to be and is not written again.
   */
  async restore(intent: ExportIntent, disk: string, options?: CallOptions): Promise<ExportRecord> {
    const reservation = await this.ctx.admission.admit({ kind: 'export', what: `export of replica ${intent.replica}`, subsystems: 1 }, options);
    try {
      return await this.build(intent.replica, disk, checkHosts(intent.hostNqns), options, undefined, { address: intent.address, port: intent.port });
    } finally {
      reservation.release();
    }
  }

  async unexpose(replica: string, options?: CallOptions): Promise<void> {
    const existing = this.ctx.inventory.exports.get(replica);
    await deleteQuietly(this.ctx, () => this.ctx.spdk.nvmf.deleteSubsystem({ nqn: replicaNqn(replica) }, options));
    this.ctx.inventory.exports.delete(replica);
    await this.ctx.state.forgetExport(replica);
    for (const listener of existing?.listeners ?? []) this.ctx.ports.release(listener.port);
  }

  private async create(replica: string, disk: string, hosts: string[], options?: CallOptions, headReady?: Promise<unknown>): Promise<ExportRecord> {
    const reservation = await this.ctx.admission.admit({ kind: 'export', what: `export of replica ${replica}`, subsystems: 1 }, options);
    try {
      return await this.build(replica, disk, hosts, options, headReady);
    } finally {
      // After the subsystem exists: a count read in between must not miss it.
      reservation.release();
    }
  }

  private async build(replica: string, disk: string, hosts: string[], options?: CallOptions, headReady?: Promise<unknown>, recorded?: { address: string; port: number }): Promise<ExportRecord> {
    const nqn = replicaNqn(replica);
    const ids = namespaceIds('replica', replica);
    const nvmf = this.ctx.spdk.nvmf;
    try {
      await nvmf.createSubsystem({ nqn, allow_any_host: false, serial_number: serialFor(ids.nguid), model_number: 'spdk-conductor replica' }, options);
    } catch (error) {
      // A subsystem of ours left by a create that died: start over from a clean slate.
      if (!existsVerdict(this.ctx, error)) throw translate(error, `expose ${replica}`);
      await nvmf.deleteSubsystem({ nqn }, options);
      await nvmf.createSubsystem({ nqn, allow_any_host: false, serial_number: serialFor(ids.nguid), model_number: 'spdk-conductor replica' }, options);
    }
    let port: number | undefined;
    try {
      for (const host of hosts) await nvmf.addHost({ nqn, host }, options);
      await headReady;
      const nsid = await nvmf.addNs({ nqn, namespace: { bdev_name: alias(disk, headLvolName(replica)), uuid: ids.uuid, nguid: ids.nguid } }, options);
      if (recorded) {
        // The recorded port stays taken whatever happens here: its record still holds it.
        this.ctx.ports.markUsed(recorded.port);
        await nvmf.addListener({ nqn, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: recorded.address, trsvcid: String(recorded.port) } }, options);
        port = recorded.port;
      } else {
        port = await listenOnFreePort(this.ctx, nqn, options);
      }
      const record: ExportRecord = {
        replica,
        nqn,
        hosts,
        listeners: [{ address: recorded?.address ?? this.ctx.settings.exportAddress, port }],
        namespace: { nsid, bdevName: alias(disk, headLvolName(replica)), uuid: ids.uuid, nguid: ids.nguid },
      };
      if (!recorded) await this.ctx.state.recordExport(record);
      this.ctx.inventory.exports.set(replica, record);
      this.ctx.log.info({ replica, nqn, port, hosts }, 'replica exposed');
      return record;
    } catch (error) {
      await deleteQuietly(this.ctx, () => nvmf.deleteSubsystem({ nqn }, options)).catch((e: unknown) =>
        this.ctx.log.error({ replica, err: (e as Error).message }, 'rollback of a half-made export failed; recovery will remove it'),
      );
      if (port !== undefined && !recorded) this.ctx.ports.release(port);
      throw translate(error, `expose ${replica}`);
    }
  }

  private async converge(existing: ExportRecord, hosts: string[], options?: CallOptions): Promise<ExportRecord> {
    const nvmf = this.ctx.spdk.nvmf;
    const add = hosts.filter((h) => !existing.hosts.includes(h));
    const remove = existing.hosts.filter((h) => !hosts.includes(h));
    for (const host of add) {
      try {
        await nvmf.addHost({ nqn: existing.nqn, host }, options);
      } catch (error) {
        if (!existsVerdict(this.ctx, error)) throw error;
      }
      existing.hosts.push(host);
    }
    for (const host of remove) {
      await deleteQuietly(this.ctx, () => nvmf.removeHost({ nqn: existing.nqn, host }, options)).catch((error: unknown) => {
        if (this.ctx.client.verdictOf(error) !== 'maybe-gone') throw error;
      });
      existing.hosts = existing.hosts.filter((h) => h !== host);
    }
    if (add.length || remove.length) await this.ctx.state.recordExport(existing);
    if (add.length || remove.length) this.ctx.log.info({ replica: existing.replica, added: add, removed: remove }, 'export host list changed');
    return existing;
  }
}

/**
 * Takes a port from the managed range and listens on it for `nqn`; a port another process holds
 * (spdk_tgt answers the ambiguous -32602) is skipped for the next one, a few times.
 */
export async function listenOnFreePort(ctx: Pick<DomainContext, 'spdk' | 'client' | 'ports' | 'settings' | 'log'>, nqn: string, options?: CallOptions): Promise<number> {
  const busy = new Set<number>();
  for (let attempt = 1; ; attempt++) {
    const port = ctx.ports.take(busy);
    try {
      await ctx.spdk.nvmf.addListener({ nqn, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: ctx.settings.exportAddress, trsvcid: String(port) } }, options);
      return port;
    } catch (error) {
      ctx.ports.release(port);
      if (existsVerdict(ctx, error) !== 'maybe' || attempt >= PORT_ATTEMPTS) throw error;
      busy.add(port);
      ctx.log.warn({ nqn, port }, 'spdk_tgt could not listen on the port; trying the next one');
    }
  }
}

/** NVMe serial numbers are at most 20 printable characters; derived so it is stable per replica. */
function serialFor(nguid: string): string {
  return `SC${nguid.slice(0, 18)}`;
}

/** The hosts, each once; refuses an empty list or one that is not an NQN. */
function checkHosts(hostNqns: readonly string[]): string[] {
  const hosts = [...new Set(hostNqns)];
  if (hosts.length === 0) throw new ConductorError('INVALID_NQN', 'at least one host NQN is required: replicas are never exported to any host', { field: 'host_nqns' });
  for (const host of hosts) {
    const problem = nqnProblem(host);
    if (problem) throw new ConductorError('INVALID_NQN', problem, { field: 'host_nqns' });
  }
  return hosts;
}

/** The same hosts, as sets. */
export function sameHosts(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((h) => set.has(h));
}

/** Hosts as a message names them: the first few, then how many more. */
export function hostList(hosts: readonly string[]): string {
  const shown = hosts.slice(0, 3).join(', ');
  return hosts.length > 3 ? `${shown} and ${hosts.length - 3} more` : shown || 'no host';
}
