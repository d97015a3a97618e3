/**
 * spdk_tgt's global keyring with the keyring_file module (lib/keyring/keyring.c,
 * module/keyring/file/keyring.c): keys are names for files, checked when added (absolute path,
 * no group/other permission bits, owned by us) and read again each time a user needs the secret.
 * Users hold references: a removed key leaves the list of live keys at once but stays listed as
 * `removed` until its last user lets go, and can no longer be read.
 */
import { statSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { errno } from '../core/errno.js';

/** One key as spdk_key holds it; users keep the object, not the name. */
export interface SimKey {
  readonly name: string;
  readonly path: string;
  refcnt: number;
  removed: boolean;
}

/** What reading a key gives: its file's content, or a negative errno. */
export type KeyContent = { readonly content: string } | { readonly errno: number };

/** spdk's keyring_get_key_name: "key0" and ":key0" both name key0 of the global keyring. */
function bareName(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}

function errnoOf(err: unknown): number {
  const code = (err as NodeJS.ErrnoException).code;
  const n = code === undefined ? undefined : (constants.errno as Record<string, number>)[code];
  return -(n ?? errno.EIO);
}

/** keyring_file_check_path. Returns 0 or a negative errno; `why` is for the log. */
export function checkKeyPath(path: string): { rc: number; why?: string; size?: number } {
  if (!path.startsWith('/')) return { rc: -errno.EPERM, why: 'non-absolute path' };
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    return { rc: errnoOf(err), why: 'could not stat key file' };
  }
  if ((st.mode & 0o077) !== 0) return { rc: -errno.EPERM, why: `invalid permissions 0${st.mode.toString(8)}` };
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return { rc: -errno.EPERM, why: 'invalid owner' };
  return { rc: 0, size: st.size };
}

export class Keyring {
  /** Live keys in insertion order, then removed keys still referenced (both TAILQs). */
  private readonly keys: SimKey[] = [];
  private readonly removedKeys: SimKey[] = [];

  constructor(private readonly log: (event: string, fields?: Record<string, unknown>) => void) {}

  private find(name: string): SimKey | undefined {
    const wanted = bareName(name);
    return this.keys.find((k) => bareName(k.name) === wanted);
  }

  /** spdk_keyring_file_add_key: 0 or a negative errno. The content is not looked at. */
  add(name: string, path: string): number {
    const colon = name.indexOf(':');
    if (colon > 0) {
      this.log('keyring_add_failed', { key: name, reason: 'keyring does not exist' });
      return -errno.EINVAL;
    }
    if (this.find(name)) {
      this.log('keyring_add_failed', { key: name, reason: 'already exists' });
      return -errno.EEXIST;
    }
    const check = checkKeyPath(path);
    if (check.rc !== 0) {
      this.log('keyring_add_failed', { key: name, path, reason: check.why });
      return check.rc;
    }
    this.keys.push({ name, path, refcnt: 1, removed: false });
    this.log('keyring_key_added', { key: name, path });
    return 0;
  }

  /** spdk_keyring_remove_key: drops the keyring's own reference. */
  remove(name: string): number {
    const key = this.find(name);
    if (!key) return -errno.ENOKEY;
    key.removed = true;
    this.keys.splice(this.keys.indexOf(key), 1);
    this.removedKeys.push(key);
    this.log('keyring_key_removed', { key: key.name, users: key.refcnt - 1, reason: 'keyring_file_remove_key' });
    this.put(key);
    return 0;
  }

  /** spdk_keyring_get_key: a new reference, or null when no live key has that name. */
  get(name: string): SimKey | null {
    const key = this.find(name);
    if (!key) return null;
    key.refcnt++;
    return key;
  }

  /** spdk_key_dup. */
  dup(key: SimKey): SimKey {
    key.refcnt++;
    return key;
  }

  /** spdk_keyring_put_key: a removed key is freed with its last reference. */
  put(key: SimKey | null | undefined): void {
    if (!key) return;
    key.refcnt--;
    if (key.refcnt === 0) {
      const i = this.removedKeys.indexOf(key);
      if (i >= 0) this.removedKeys.splice(i, 1);
    }
  }

  /** spdk_key_get_key: the file as it is now (a removed key reads -ENOKEY). Never logged. */
  read(key: SimKey): KeyContent {
    if (key.removed) return { errno: -errno.ENOKEY };
    const check = checkKeyPath(key.path);
    if (check.rc !== 0) {
      this.log('keyring_read_failed', { key: key.name, path: key.path, reason: check.why });
      return { errno: check.rc };
    }
    try {
      return { content: readFileSync(key.path, 'utf8') };
    } catch (err) {
      this.log('keyring_read_failed', { key: key.name, path: key.path, reason: 'could not read key file' });
      return { errno: errnoOf(err) };
    }
  }

  /** keyring_get_keys' entries (keyring_dump_key_info): a removed key has no path any more. */
  toJson(): Array<Record<string, unknown>> {
    return [...this.keys, ...this.removedKeys].map((k) => ({
      name: k.name,
      module: 'keyring_file',
      removed: k.removed,
      probed: false,
      refcnt: k.refcnt,
      ...(k.removed ? {} : { path: k.path }),
    }));
  }

  /** framework_get_config's keyring section: one keyring_file_add_key per live key. */
  configEntries(): Array<{ method: string; params: Record<string, unknown> }> {
    return this.keys.map((k) => ({ method: 'keyring_file_add_key', params: { name: k.name, path: k.path } }));
  }
}
