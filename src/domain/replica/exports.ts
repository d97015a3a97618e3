/**
 * Replica exports over NVMe-oF/TCP: one subsystem per replica, reachable only by the engine hosts
 * it names (never allow_any_host), one namespace whose uuid/nguid come from the replica's name, one
 * listener on a port from the managed range.
 *
 * Steps go hosts → namespace → listener, so an export that has a listener is complete: recovery
 * removes any subsystem of ours that lacks its namespace or listener (a create that died midway).
 */
import { ConductorError, SpdkRpcError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { Reservation } from '../health/admission.js';
import type { DomainContext } from '../node/context.js';
import type { ExportRecord } from '../node/inventory.js';
import type { ExportIntent } from '../node/state-file.js';
import { checkSecrets, exportKeyUser, hasKeys, keyNamesOf, keyParams, requirementOf, type HostSecrets, type KeyNames } from '../node/keys.js';
import type { ExposeMode, HostAuthInfo } from '../model.js';
import { alias, headLvolName, namespaceIds, replicaNqn } from '../node/naming.js';
import { nqnProblem } from '../../validation/nqn.js';
import { deleteQuietly, existsVerdict, translate } from '../node/spdk-verdicts.js';

/** Ports spdk_tgt could not listen on (taken by another process): one export tries this many. */
const PORT_ATTEMPTS = 8;

export class Exports {
  constructor(private readonly ctx: Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'state' | 'admission' | 'ports' | 'settings' | 'keys' | 'log'>) {}

  /**
   * Makes the replica's export match `hostNqns` (creating it, or changing its host list). With
   * `headReady`, the subsystem and its hosts are made while the replica's head is still being
   * created (they are independent objects, so their calls may share spdk_tgt's polls); the
   * namespace waits for it, and the export is rolled back if it fails.
   *
   * `secrets` (by host NQN) make a host authenticate: DH-HMAC-CHAP one-way or bidirectional, and
   * TLS with a PSK. An export is TLS or not as a whole (its listener is), so either every host has
   * a PSK or none has; that is fixed when the export is made.
   */
  async expose(
    replica: string,
    disk: string,
    hostNqns: string[],
    options?: CallOptions,
    headReady?: Promise<unknown>,
    secrets?: ReadonlyMap<string, HostSecrets>,
    asked: readonly string[] = hostNqns,
    /** False when the caller logs the whole operation (create-and-expose: one line per create). */
    logged = true,
  ): Promise<ExportRecord> {
    const hosts = checkHosts(hostNqns);
    // Only the hosts the request named get the keys it gave (none: no authentication); hosts an
    // add keeps (EXPOSE_MODE_ADD) keep theirs.
    const access = accessOf(asked, secrets);
    const existing = this.ctx.inventory.exports.get(replica);
    if (existing) {
      await headReady;
      return this.converge(existing, hosts, options, access, asked);
    }
    const record = await this.create(replica, disk, hosts, options, headReady, access);
    if (logged) this.ctx.log.info({ replica, ...this.logFields(record) }, 'replica exposed');
    return record;
  }

  /** What a log line says of a new export: where it listens and who may connect, how (never a key). */
  logFields(record: ExportRecord): { nqn: string; port: number | undefined; hosts: string[]; authenticated: string[]; tls: boolean } {
    const authenticated = record.hosts.filter((host) => hasKeys(this.ctx.keys.namesOf(exportKeyUser(record.replica, host))));
    return { nqn: record.nqn, port: record.listeners[0]?.port, hosts: record.hosts, authenticated, tls: this.isTls(record) };
  }

  /**
   * The hosts an expose of `replica` to `asked` should leave it with, and what that is: an export
   * made, hosts added, the list replaced, or nothing. An export that allows other hosts is changed
   * only as `mode` says: without a mode the caller did not say whether the other hosts stay, and
   * guessing either way has exposed a replica to the wrong host or cut an engine off.
   */
  plan(
    replica: string,
    asked: readonly string[],
    mode: ExposeMode | undefined,
    secrets?: ReadonlyMap<string, HostSecrets>,
  ): { hosts: string[]; outcome: 'created' | 'added' | 'replaced' | 'removed' | 'rekeyed' | 'unchanged' } {
    checkHosts(asked);
    const current = this.ctx.inventory.exports.get(replica)?.hosts;
    if (mode === 'remove') return this.planRemove(replica, asked, current, secrets);
    if (!current) return { hosts: [...asked], outcome: 'created' };
    const hosts = mode === 'add' ? [...current, ...asked.filter((h) => !current.includes(h))] : [...asked];
    // The same hosts with other keys: the request says so explicitly, no mode needed.
    const rekeyed = asked.some((h) => current.includes(h) && !sameNames(this.ctx.keys.namesOf(exportKeyUser(replica, h)), keyNamesOf(secrets?.get(h))));
    if (sameHosts(current, hosts)) return { hosts, outcome: rekeyed ? 'rekeyed' : 'unchanged' };
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
   * EXPOSE_MODE_REMOVE: the asked hosts lose their access (and keys), the others keep theirs; a
   * replica not exposed, or hosts it does not allow, leave nothing to do. Removing every host is
   * refused: that is an unexpose, which the caller must say.
   */
  private planRemove(
    replica: string,
    asked: readonly string[],
    current: readonly string[] | undefined,
    secrets: ReadonlyMap<string, HostSecrets> | undefined,
  ): { hosts: string[]; outcome: 'removed' | 'unchanged' } {
    if (secrets && secrets.size > 0) throw new ConductorError('INVALID_SECRET', 'EXPOSE_MODE_REMOVE takes host NQNs only: a host being removed needs no keys', { field: 'hosts' });
    if (!current) return { hosts: [], outcome: 'unchanged' };
    const hosts = current.filter((h) => !asked.includes(h));
    if (hosts.length === current.length) return { hosts, outcome: 'unchanged' };
    if (hosts.length === 0) {
      throw new ConductorError('INVALID_NQN', `removing ${hostList(asked)} would leave replica ${replica}'s export with no host; unexpose it instead`, { field: 'host_nqns' });
    }
    return { hosts, outcome: 'removed' };
  }

  /**
   * Makes a recorded export again in a spdk_tgt that forgot it (reconcile): the same NQN, hosts,
   * address and port, so the engines' controllers find it where they left it. Its record is
   * already what it was asked to be and is not written again.
   */
  async restore(intent: ExportIntent, disk: string, options?: CallOptions): Promise<ExportRecord> {
    const reservation = await this.ctx.admission.admit({ kind: 'export', what: `export of replica ${intent.replica}`, subsystems: 1, nqn: replicaNqn(intent.replica) }, options);
    try {
      const hosts = checkHosts(intent.hostNqns);
      // The keys each host was given (their names; reconcile put them back in the keyring first).
      const keys = new Map<string, KeyNames>();
      for (const host of hosts) {
        const names = this.ctx.keys.namesOf(exportKeyUser(intent.replica, host));
        if (Object.keys(names).length > 0) keys.set(host, names);
      }
      return await this.build(intent.replica, disk, hosts, options, undefined, keys, { address: intent.address, port: intent.port }, reservation);
    } finally {
      reservation.release();
    }
  }

  /** An identical create also has the same keys per host: else REPLICA_EXISTS naming the host (never a key). */
  checkSameKeys(replica: string, hosts: readonly string[], secrets: ReadonlyMap<string, HostSecrets> | undefined): void {
    const access = accessOf(hosts, secrets);
    const differs = hosts.filter((h) => !sameNames(this.ctx.keys.namesOf(exportKeyUser(replica, h)), keyNamesOf(access.get(h))));
    if (differs.length) {
      throw new ConductorError('REPLICA_EXISTS', `replica ${replica} exists with other authentication for ${differs.join(', ')}; expose it with the new keys to change them`);
    }
  }

  async unexpose(replica: string, options?: CallOptions): Promise<void> {
    const existing = this.ctx.inventory.exports.get(replica);
    await deleteQuietly(this.ctx, () => this.ctx.spdk.nvmf.deleteSubsystem({ nqn: replicaNqn(replica) }, options));
    this.ctx.admission.subsystemsGone([replicaNqn(replica)]);
    this.ctx.inventory.exports.delete(replica);
    const port = existing?.listeners[0]?.port ?? this.ctx.state.exportOf(replica)?.port;
    if (port !== undefined) this.ctx.state.keepPort(keptExportKey(replica), port);
    await this.ctx.state.forgetExport(replica);
    for (const listener of existing?.listeners ?? []) this.ctx.ports.release(listener.port);
    await this.ctx.keys.releaseAll(exportKeyUser(replica, ''), options);
  }

  /**
   * After keys were put back in the keyring (recovery): hosts still hold the removed key objects,
   * which spdk_tgt no longer uses, so each host of a restored key is pointed at the new one
   * (DH-HMAC-CHAP in place; a PSK by adding the host again).
   */
  async repointKeys(restored: ReadonlySet<string>, options?: CallOptions): Promise<string[]> {
    const repointed: string[] = [];
    for (const record of this.ctx.inventory.exports.values()) {
      for (const host of record.hosts) {
        const names = this.ctx.keys.namesOf(exportKeyUser(record.replica, host));
        if (!Object.values(names).some((n) => restored.has(n))) continue;
        if (names.psk && restored.has(names.psk)) {
          await this.ctx.spdk.nvmf.removeHost({ nqn: record.nqn, host }, options);
          await this.ctx.spdk.nvmf.addHost({ nqn: record.nqn, host, ...keyParams(names) }, options);
        } else {
          await this.ctx.spdk.nvmf.setKeys({ nqn: record.nqn, host, ...keyParams({ dhchapKey: names.dhchapKey, dhchapCtrlrKey: names.dhchapCtrlrKey }) }, options);
        }
        repointed.push(exportKeyUser(record.replica, host));
      }
    }
    return repointed;
  }

  /** What each host of the export must do to connect (never a key or its name), and whether it is TLS. */
  authOf(record: ExportRecord): { hostAuth: HostAuthInfo[]; secureChannel: boolean } {
    const hostAuth = record.hosts.map((nqn) => ({ nqn, ...requirementOf(this.ctx.keys.namesOf(exportKeyUser(record.replica, nqn))) }));
    return { hostAuth, secureChannel: this.isTls(record) };
  }

  /** The listener was made with secure_channel: spdk_tgt does not report it, the key users say it. */
  private isTls(record: ExportRecord): boolean {
    return record.hosts.some((host) => this.ctx.keys.namesOf(exportKeyUser(record.replica, host)).psk !== undefined);
  }

  private async create(replica: string, disk: string, hosts: string[], options?: CallOptions, headReady?: Promise<unknown>, access?: ReadonlyMap<string, HostSecrets>): Promise<ExportRecord> {
    const reservation = await this.ctx.admission.admit({ kind: 'export', what: `export of replica ${replica}`, subsystems: 1, nqn: replicaNqn(replica) }, options);
    try {
      const built = this.holdKeys(replica, access, options).then((names) => this.build(replica, disk, hosts, options, headReady, names, undefined, reservation));
      return await built.catch(async (error: unknown) => {
        await this.ctx.keys
          .releaseAll(exportKeyUser(replica, ''), options)
          .catch((e: unknown) => this.ctx.log.error({ replica, err: (e as Error).message }, 'keys of a failed export not released; recovery will'));
        throw error;
      });
    } finally {
      // build() said what it left once its subsystem was made; before that it is not known (a
      // create that timed out may have made it): counted until the next count.
      reservation.release();
    }
  }

  /** Keys first: add_host names them, so they must be in the keyring before the host is added. */
  private async holdKeys(replica: string, access: ReadonlyMap<string, HostSecrets> | undefined, options?: CallOptions): Promise<Map<string, KeyNames>> {
    const names = new Map<string, KeyNames>();
    for (const [host, secrets] of access ?? []) names.set(host, await this.ctx.keys.hold(exportKeyUser(replica, host), secrets, options));
    return names;
  }

  private async build(
    replica: string,
    disk: string,
    hosts: string[],
    options?: CallOptions,
    headReady?: Promise<unknown>,
    keys?: ReadonlyMap<string, KeyNames>,
    recorded?: { address: string; port: number },
    reservation?: Reservation,
  ): Promise<ExportRecord> {
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
      for (const host of hosts) await nvmf.addHost({ nqn, host, ...keyParams(keys?.get(host)) }, options);
      await headReady;
      const nsid = await nvmf.addNs({ nqn, namespace: { bdev_name: alias(disk, headLvolName(replica)), uuid: ids.uuid, nguid: ids.nguid } }, options);
      const tls = [...(keys?.values() ?? [])].some((k) => k.psk !== undefined);
      if (recorded) {
        // The recorded port stays taken whatever happens here: its record still holds it.
        this.ctx.ports.markUsed(recorded.port);
        await nvmf.addListener({ nqn, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: recorded.address, trsvcid: String(recorded.port) }, ...(tls ? { secure_channel: true } : {}) }, options);
        port = recorded.port;
      } else {
        // The port this replica's export had before an unexpose, when it is free.
        port = await listenOnFreePort(this.ctx, nqn, options, tls, this.ctx.state.keptPort(keptExportKey(replica)));
      }
      const record: ExportRecord = {
        replica,
        nqn,
        hosts,
        listeners: [{ address: recorded?.address ?? this.ctx.settings.exportAddress, port }],
        namespace: { nsid, bdevName: alias(disk, headLvolName(replica)), uuid: ids.uuid, nguid: ids.nguid },
      };
      if (!recorded) {
        this.ctx.state.keepPort(keptExportKey(replica), undefined);
        await this.ctx.state.recordExport(record);
      }
      this.ctx.inventory.exports.set(replica, record);
      reservation?.release([nqn]);
      // Logged by expose's caller: a restore is reconcile's to log (one line per export, which a
      // thousand of them make costly enough), a create-and-expose logs one line for both parts.
      return record;
    } catch (error) {
      await deleteQuietly(this.ctx, () => nvmf.deleteSubsystem({ nqn }, options)).then(
        () => reservation?.release([]),
        (e: unknown) => {
          // It may still be there: admission counts it until the next count.
          reservation?.release();
          this.ctx.log.error({ replica, err: (e as Error).message }, 'rollback of a half-made export failed; recovery will remove it');
        },
      );
      if (port !== undefined && !recorded) this.ctx.ports.release(port);
      throw translate(error, `expose ${replica}`);
    }
  }

  private async converge(existing: ExportRecord, hosts: string[], options?: CallOptions, access?: ReadonlyMap<string, HostSecrets>, asked: readonly string[] = hosts): Promise<ExportRecord> {
    const nvmf = this.ctx.spdk.nvmf;
    const wantTls = [...(access?.values() ?? [])].some((s) => s.psk !== undefined);
    // Hosts only removed (EXPOSE_MODE_REMOVE asks for none) keep the listener as it is.
    if (asked.length > 0 && wantTls !== this.isTls(existing)) {
      throw new ConductorError(
        'EXPORT_TLS_MISMATCH',
        `replica ${existing.replica}'s export ${wantTls ? 'has no' : 'has a'} TLS listener, so its hosts ${wantTls ? 'cannot use' : 'all need'} a psk; unexpose it first to change that`,
      );
    }
    const add = hosts.filter((h) => !existing.hosts.includes(h));
    const remove = existing.hosts.filter((h) => !hosts.includes(h));
    const rekey = asked.filter((h) => existing.hosts.includes(h) && !sameNames(this.ctx.keys.namesOf(exportKeyUser(existing.replica, h)), keyNamesOf(access?.get(h))));
    for (const host of add) {
      const secrets = access?.get(host);
      const names = secrets ? await this.ctx.keys.hold(exportKeyUser(existing.replica, host), secrets, options) : undefined;
      try {
        await nvmf.addHost({ nqn: existing.nqn, host, ...keyParams(names) }, options);
      } catch (error) {
        if (!existsVerdict(this.ctx, error)) throw error;
      }
      existing.hosts.push(host);
    }
    for (const host of rekey) await this.rekey(existing, host, access?.get(host), options);
    for (const host of remove) {
      await deleteQuietly(this.ctx, () => nvmf.removeHost({ nqn: existing.nqn, host }, options)).catch((error: unknown) => {
        if (this.ctx.client.verdictOf(error) !== 'maybe-gone') throw error;
      });
      existing.hosts = existing.hosts.filter((h) => h !== host);
      await this.ctx.keys.release(exportKeyUser(existing.replica, host), options);
    }
    if (add.length || remove.length) await this.ctx.state.recordExport(existing);
    if (add.length || remove.length) this.ctx.log.info({ replica: existing.replica, added: add, removed: remove }, 'export host list changed');
    if (rekey.length) {
      // The old keys were removed from the keyring while the hosts held them: their files go now.
      await this.ctx.keys.sweep(options);
      this.ctx.log.info({ replica: existing.replica, hosts: rekey }, 'export host keys changed');
    }
    return existing;
  }

  /**
   * New keys for a host already allowed. DH-HMAC-CHAP keys change in place (connected hosts stay,
   * later connections use the new keys); a PSK, or dropping DH-HMAC-CHAP, re-adds the host, which
   * drops its connections.
   */
  private async rekey(existing: ExportRecord, host: string, secrets: HostSecrets | undefined, options?: CallOptions): Promise<void> {
    const nvmf = this.ctx.spdk.nvmf;
    const before = this.ctx.keys.namesOf(exportKeyUser(existing.replica, host));
    const after = keyNamesOf(secrets);
    const names = await this.ctx.keys.hold(exportKeyUser(existing.replica, host), secrets, options);
    if (after.dhchapKey !== undefined && after.psk === before.psk) {
      await nvmf.setKeys({ nqn: existing.nqn, host, ...keyParams({ dhchapKey: names.dhchapKey, dhchapCtrlrKey: names.dhchapCtrlrKey }) }, options);
      return;
    }
    await nvmf.removeHost({ nqn: existing.nqn, host }, options).catch((error: unknown) => {
      if (!(error instanceof SpdkRpcError)) throw error;
    });
    await nvmf.addHost({ nqn: existing.nqn, host, ...keyParams(names) }, options);
  }
}

/**
 * Takes a port from the managed range and listens on it for `nqn`. A port another process holds
 * (spdk_tgt answers the ambiguous -32602) is remembered as busy, so later exports skip it without
 * a failed listen each (PortRange re-checks it rarely), and the next port is tried, a few times.
 * `traddr`: the export address unless given (a restore listens on loopback only).
 */
export async function listenOnFreePort(
  ctx: Pick<DomainContext, 'spdk' | 'client' | 'ports' | 'settings' | 'log'>,
  nqn: string,
  options?: CallOptions,
  secureChannel = false,
  prefer?: number,
  traddr = ctx.settings.exportAddress,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = ctx.ports.take(attempt === 1 ? prefer : undefined);
    try {
      const tls = secureChannel ? { secure_channel: true } : {};
      await ctx.spdk.nvmf.addListener({ nqn, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr, trsvcid: String(port) }, ...tls }, options);
      return port;
    } catch (error) {
      ctx.ports.release(port);
      if (existsVerdict(ctx, error) !== 'maybe') throw error;
      if (ctx.ports.markBusy(port)) ctx.log.warn({ nqn, port }, 'spdk_tgt could not listen on the port (another process holds it?); skipping it from now on');
      if (attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

/** Checked secrets by host, for the hosts that have any; a TLS export needs a PSK for every host. */
function accessOf(hosts: readonly string[], secrets: ReadonlyMap<string, HostSecrets> | undefined): Map<string, HostSecrets> {
  const access = new Map<string, HostSecrets>();
  for (const [host, given] of secrets ?? []) {
    if (!hosts.includes(host)) throw new ConductorError('INVALID_NQN', `keys are given for host ${host}, which is not in the host list`, { field: 'hosts' });
    const checked = checkSecrets(`hosts[${hosts.indexOf(host)}].`, given);
    if (checked) access.set(host, checked);
  }
  const withPsk = hosts.filter((h) => access.get(h)?.psk !== undefined);
  if (withPsk.length > 0 && withPsk.length < hosts.length) {
    const without = hosts.filter((h) => !withPsk.includes(h));
    throw new ConductorError('INVALID_SECRET', `a TLS export (a host has a psk) needs a psk for every host; none for ${without.join(', ')}`, { field: 'hosts' });
  }
  return access;
}

function sameNames(a: KeyNames, b: KeyNames): boolean {
  return a.dhchapKey === b.dhchapKey && a.dhchapCtrlrKey === b.dhchapCtrlrKey && a.psk === b.psk && hasKeys(a) === hasKeys(b);
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

/** Where StateFile.keepPort remembers the port of a replica's export. */
function keptExportKey(replica: string): string {
  return `export/${replica}`;
}
