/**
 * api.socketGroup as a gid, checked at start: the operators' group, so that people who may drive
 * this node's storage need not be root. A name must exist (in /etc/group, or through getent for
 * groups from LDAP and the like); a numeric gid is taken as given, since a container often has
 * its volume's group (Kubernetes fsGroup) without an /etc/group entry for it.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';

const MAX_GID = 4_294_967_294;

export async function resolveSocketGroup(value: string, groupFile = '/etc/group'): Promise<number> {
  if (/^\d+$/.test(value)) {
    const gid = Number(value);
    if (gid > MAX_GID) throw new ConfigError('api.socketGroup', `${value} is not a gid (0 to ${MAX_GID})`);
    return gid;
  }
  const gid = (await fromGroupFile(value, groupFile)) ?? (await fromGetent(value));
  if (gid === undefined) throw new ConfigError('api.socketGroup', `group ${JSON.stringify(value)} does not exist (not in ${groupFile}, nor known to getent)`);
  return gid;
}

async function fromGroupFile(name: string, groupFile: string): Promise<number | undefined> {
  const text = await readFile(groupFile, 'utf8').catch(() => '');
  return gidOf(text, name);
}

/** getent may be absent (a minimal image): then the group file was the only word. */
function fromGetent(name: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('getent', ['group', name], { timeout: 5000 }, (err, stdout) => resolve(err ? undefined : gidOf(stdout, name)));
  });
}

/** The gid of `name` in group(5) lines (name:password:gid:members). */
function gidOf(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    const [group, , gid] = line.split(':');
    if (group === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}
