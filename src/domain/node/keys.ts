/**
 * Secrets for NVMe in-band authentication (DH-HMAC-CHAP, TLS PSK), held the way spdk_tgt's
 * keyring wants them: each secret in a 0600 file of the key directory, added to the keyring under
 * a name derived from its content (naming.ts keyName: the same secret is one key), referred to by
 * that name in add_host and attach params.
 *
 * Keys are counted by user: an export's host (`export/<replica>/<host NQN>`), an engine's member
 * (`engine/<volume>/<replica>`), a restore's own loopback export (`restore/<replica>/host`) or a
 * rebuild's shallow copy out of a replica into one target (`copy/<replica>/<copy host NQN>`). Which user holds which key names is in the state file, never the
 * secret, so a restart knows what to clean up. A key no user holds is removed from the keyring;
 * its file is deleted once spdk_tgt no longer lists the key: a key removed while a controller or
 * host still uses it stays listed (`removed: true`) and its file is still read (transcript 18).
 */
import type { Logger } from 'pino';
import { ConductorError, SpdkRpcError } from '../../errors.js';
import type { KeyFiles } from '../../host/key-files.js';
import type { CallOptions } from '../../spdk/call.js';
import type { SpdkMethods } from '../../spdk/methods/index.js';
import { secretProblem } from '../../validation/nvme-secrets.js';
import type { HostSecrets, KeyNames } from '../model.js';
import type { ObjectLocks } from './locks.js';
import { isKeyName, keyName } from './naming.js';
import type { StateFile } from './state-file.js';

export type { HostSecrets, KeyNames } from '../model.js';

/** What a host's access requires, for responses: never a key or a key name. */
export interface AuthRequirement {
  dhchap: 'none' | 'one-way' | 'bidirectional';
  tls: boolean;
}

const FIELDS = [
  ['dhchapKey', 'dhchap', 'dhchap_key'],
  ['dhchapCtrlrKey', 'dhchap', 'dhchap_ctrlr_key'],
  ['psk', 'psk', 'psk'],
] as const;

/** Secrets checked (format, hash, length, CRC); `field` prefixes the proto field names in errors. */
export function checkSecrets(field: string, secrets: HostSecrets | undefined): HostSecrets | undefined {
  if (!secrets) return undefined;
  const out: { -readonly [K in keyof HostSecrets]: string } = {};
  for (const [key, kind, proto] of FIELDS) {
    const value = secrets[key];
    if (value === undefined || value === '') continue;
    const problem = secretProblem(kind, value);
    if (problem) throw new ConductorError('INVALID_SECRET', `${field}${proto}: ${problem}`, { field: `${field}${proto}` });
    out[key] = value;
  }
  // spdk_tgt refuses a ctrlr key alone (-32603 "Internal error"): say why before anything is made.
  if (out.dhchapCtrlrKey !== undefined && out.dhchapKey === undefined) {
    throw new ConductorError('INVALID_SECRET', `${field}dhchap_ctrlr_key: bidirectional DH-HMAC-CHAP needs dhchap_key too`, { field: `${field}dhchap_ctrlr_key` });
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function keyNamesOf(secrets: HostSecrets | undefined): KeyNames {
  const names: { -readonly [K in keyof KeyNames]: string } = {};
  for (const [key] of FIELDS) {
    const value = secrets?.[key];
    if (value) names[key] = keyName(value);
  }
  return names;
}

export function requirementOf(names: KeyNames | undefined): AuthRequirement {
  return { dhchap: names?.dhchapCtrlrKey ? 'bidirectional' : names?.dhchapKey ? 'one-way' : 'none', tls: names?.psk !== undefined };
}

export function hasKeys(names: KeyNames | undefined): boolean {
  return names !== undefined && (names.dhchapKey !== undefined || names.dhchapCtrlrKey !== undefined || names.psk !== undefined);
}

/** The params add_host and attach take, from names. */
export function keyParams(names: KeyNames | undefined): { dhchap_key?: string; dhchap_ctrlr_key?: string; psk?: string } {
  return {
    ...(names?.dhchapKey ? { dhchap_key: names.dhchapKey } : {}),
    ...(names?.dhchapCtrlrKey ? { dhchap_ctrlr_key: names.dhchapCtrlrKey } : {}),
    ...(names?.psk ? { psk: names.psk } : {}),
  };
}

export function exportKeyUser(replica: string, host: string): string {
  return `export/${replica}/${host}`;
}

export function engineKeyUser(volume: string, replica: string): string {
  return `engine/${volume}/${replica}`;
}

/** The keys a restore over NVMe/TCP gives its own export (backup/restore-nvmf.ts) while it writes. */
export function restoreKeyUser(replica: string): string {
  return `restore/${replica}/host`;
}

/**
 * The keys a rebuild's shallow copy out of `replica` attaches its target with, as host `hostNqn`
 * (rebuild/shallow-copy.ts): per-copy secrets the engine's node made, held only while the copy
 * runs. Two rebuilds may copy out of one replica at once, into different targets: each holds its own.
 */
export function copyKeyUser(replica: string, hostNqn: string): string {
  return `copy/${replica}/${hostNqn}`;
}

/** [kind, owner, rest] of a user: ['export', replica, host NQN], ['engine', volume, replica], ['restore', replica, 'host'] or ['copy', replica, copy host NQN]. */
export function splitKeyUser(user: string): [string, string, string] {
  const first = user.indexOf('/');
  const second = user.indexOf('/', first + 1);
  if (first < 0 || second < 0) return [user, '', ''];
  return [user.slice(0, first), user.slice(first + 1, second), user.slice(second + 1)];
}

/** spdk_tgt's "not in the keyring" (-126 "Required key not available"). */
const ENOKEY = -126;
/** spdk_tgt's "a key of that name exists" (-17 "File exists"): the same name is the same secret. */
const EEXIST = -17;
const LOCK = 'keyring';

/** The parts of the domain's context the store uses (not the context itself: that names the store). */
interface KeyContext {
  readonly spdk: SpdkMethods;
  readonly state: StateFile;
  readonly locks: ObjectLocks;
  readonly log: Logger;
}

export class KeyStore {
  constructor(
    private readonly ctx: KeyContext,
    private readonly files: KeyFiles,
  ) {}

  /**
   * Makes `user` hold exactly the keys of `secrets` (none: releases it): their files written, the
   * keys in the keyring, the holding recorded; keys the user held before and nobody holds now are
   * removed. Resolves with the names to put in params.
   */
  async hold(user: string, secrets: HostSecrets | undefined, options?: CallOptions): Promise<KeyNames> {
    const names = keyNamesOf(secrets);
    await this.ctx.locks.with(LOCK, async () => {
      for (const [key] of FIELDS) {
        const secret = secrets?.[key];
        const name = names[key];
        if (secret && name) await this.install(name, secret, options);
      }
      await this.ctx.state.setKeyUser(user, names);
      await this.collect(options);
    });
    return names;
  }

  /** The user holds no key any more; keys nobody holds are removed. */
  async release(user: string, options?: CallOptions): Promise<void> {
    if (!this.ctx.state.keyUser(user)) return;
    await this.ctx.locks.with(LOCK, async () => {
      await this.ctx.state.setKeyUser(user, {});
      await this.collect(options);
    });
  }

  /**
   * Deletes the files of keys spdk_tgt has let go of since they were removed from the keyring:
   * for callers that just released a key's last hold in spdk_tgt (a host re-keyed or removed).
   */
  async sweep(options?: CallOptions): Promise<void> {
    await this.ctx.locks.with(LOCK, () => this.collect(options));
  }

  /** Releases every user whose prefix matches (an engine's members, an export's hosts). */
  async releaseAll(prefix: string, options?: CallOptions): Promise<void> {
    for (const user of this.ctx.state.keyUsers().keys()) if (user.startsWith(prefix)) await this.release(user, options);
  }

  /**
   * At start: users that no longer exist (`live` says) are released; keys still held are put back
   * in the keyring if spdk_tgt lost them (a restarted spdk_tgt keeps no keys, the files remain);
   * keys and files nobody holds are removed.
   */
  async recover(live: (user: string) => boolean, options?: CallOptions): Promise<{ released: string[]; restored: string[] }> {
    const released: string[] = [];
    const restored: string[] = [];
    // A node that never used a key asks spdk_tgt nothing (nor needs its keyring methods).
    if (this.ctx.state.keyUsers().size === 0 && (await this.files.list()).length === 0) return { released, restored };
    await this.ctx.locks.with(LOCK, async () => {
      for (const user of this.ctx.state.keyUsers().keys()) {
        if (live(user)) continue;
        await this.ctx.state.setKeyUser(user, {});
        released.push(user);
      }
      const listed = new Set((await this.ctx.spdk.keyring.getKeys(options)).filter((k) => !k.removed).map((k) => k.name));
      const onDisk = new Set(await this.files.list());
      for (const name of this.held()) {
        if (listed.has(name)) continue;
        if (!onDisk.has(name)) {
          this.ctx.log.error({ keyName: name }, 'a key in use has lost its file; its export or attach will fail to authenticate until it is given again');
          continue;
        }
        await this.ctx.spdk.keyring.addFileKey({ name, path: this.files.pathOf(name) }, options);
        restored.push(name);
      }
      await this.collect(options);
    });
    if (released.length || restored.length) this.ctx.log.info({ released, restored }, 'keys recovered');
    return { released, restored };
  }

  /** The names `user` holds (empty when none). */
  namesOf(user: string): KeyNames {
    return (this.ctx.state.keyUser(user) ?? {}) as KeyNames;
  }

  private held(): Set<string> {
    return new Set([...this.ctx.state.keyUsers().values()].flatMap((h) => Object.values(h)));
  }

  private async install(name: string, secret: string, options?: CallOptions): Promise<void> {
    const path = await this.files.write(name, secret);
    try {
      await this.ctx.spdk.keyring.addFileKey({ name, path }, options);
      this.ctx.log.info({ keyName: name }, 'key added to the keyring');
    } catch (error) {
      if (!(error instanceof SpdkRpcError && error.rpcCode === EEXIST)) throw error;
    }
  }

  /** Removes from the keyring the keys of ours nobody holds, then the files spdk_tgt no longer reads. */
  private async collect(options?: CallOptions): Promise<void> {
    const held = this.held();
    const keys = (await this.ctx.spdk.keyring.getKeys(options)).filter((k) => isKeyName(k.name));
    let removed = false;
    for (const key of keys) {
      if (held.has(key.name) || key.removed) continue;
      try {
        await this.ctx.spdk.keyring.removeFileKey({ name: key.name }, options);
      } catch (error) {
        if (!(error instanceof SpdkRpcError && error.rpcCode === ENOKEY)) throw error;
      }
      removed = true;
      this.ctx.log.info({ keyName: key.name }, 'key removed from the keyring: no export or attach uses it');
    }
    const listed = new Set((removed ? await this.ctx.spdk.keyring.getKeys(options) : keys).map((k) => k.name));
    for (const name of await this.files.list()) {
      if (!isKeyName(name) || held.has(name)) continue;
      if (listed.has(name)) {
        this.ctx.log.debug({ keyName: name }, 'key file kept: spdk_tgt still uses the removed key');
        continue;
      }
      await this.files.remove(name);
      this.ctx.log.info({ keyName: name }, 'key file deleted');
    }
  }
}
