/**
 * Secrets on the command line are never values, only files (a value would show in `ps`, shell
 * history and audit logs): `--host NQN[,dhchap-key-file=F][,dhchap-ctrlr-key-file=F][,psk-file=F]`
 * and the same three keys in `--replica`. A file holds one secret in its interchange format, as
 * `nvme gen-dhchap-key` / `nvme gen-tls-key` print it; surrounding whitespace is dropped. The
 * service checks the format; messages here name the file, never its content.
 */
import fs from 'node:fs';
import type { HostAccess } from '../../api/generated/spdk/conductor/v1/HostAccess.js';
import { UsageError } from './usage.js';

export const KEY_FILE_OPTIONS = { 'dhchap-key-file': 'dhchapKey', 'dhchap-ctrlr-key-file': 'dhchapCtrlrKey', 'psk-file': 'psk' } as const;
export type KeyFileOption = keyof typeof KEY_FILE_OPTIONS;

export const HOST_SPEC_HELP = 'NQN[,dhchap-key-file=FILE][,dhchap-ctrlr-key-file=FILE][,psk-file=FILE]';

/** Where each secret of a host came from: the connect hint points at the files. */
export type KeyFilePaths = Partial<Record<KeyFileOption, string>>;

export interface HostSpec {
  nqn: string;
  files: KeyFilePaths;
}

export function isKeyFileOption(key: string): key is KeyFileOption {
  return Object.hasOwn(KEY_FILE_OPTIONS, key);
}

/** Reads one secret from `file` for `--what`; a missing, unreadable or empty file is a usage error. */
export function readSecretFile(what: string, file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${what}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const secret = text.trim();
  if (secret === '') throw new UsageError(`${what}: ${file} is empty; it should hold one key as nvme gen-dhchap-key or gen-tls-key prints it`);
  return secret;
}

/** The secrets of `files`, read, under the proto's field names. */
export function readKeyFiles(what: string, files: KeyFilePaths): { dhchapKey?: string; dhchapCtrlrKey?: string; psk?: string } {
  const secrets: { dhchapKey?: string; dhchapCtrlrKey?: string; psk?: string } = {};
  for (const [option, file] of Object.entries(files) as Array<[KeyFileOption, string]>) secrets[KEY_FILE_OPTIONS[option]] = readSecretFile(`${what} ${option}`, file);
  return secrets;
}

export function parseHostSpec(text: string): HostSpec {
  const [nqn = '', ...rest] = text.split(',').map((p) => p.trim());
  if (nqn === '' || nqn.includes('=')) throw new UsageError(`--host ${JSON.stringify(text)}: start with the host NQN; use ${HOST_SPEC_HELP}`);
  const files: KeyFilePaths = {};
  for (const item of rest) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (!isKeyFileOption(key)) throw new UsageError(`--host ${JSON.stringify(text)}: unknown key ${JSON.stringify(key)}; use ${HOST_SPEC_HELP}`);
    if (eq < 0 || item.slice(eq + 1) === '') throw new UsageError(`--host ${JSON.stringify(text)}: ${key} needs a file (${key}=FILE)`);
    if (files[key] !== undefined) throw new UsageError(`--host ${JSON.stringify(text)}: ${key} is given twice`);
    files[key] = item.slice(eq + 1);
  }
  if (files['dhchap-ctrlr-key-file'] !== undefined && files['dhchap-key-file'] === undefined) {
    throw new UsageError(`--host ${JSON.stringify(text)}: dhchap-ctrlr-key-file (bidirectional) needs dhchap-key-file too`);
  }
  return { nqn, files };
}

/** host_nqns for hosts without keys, hosts (HostAccess, secrets read) for the others. */
export function hostRequestFields(specs: readonly HostSpec[]): { hostNqns: string[]; hosts: HostAccess[] } {
  const hostNqns: string[] = [];
  const hosts: HostAccess[] = [];
  for (const spec of specs) {
    if (Object.keys(spec.files).length === 0) hostNqns.push(spec.nqn);
    else hosts.push({ nqn: spec.nqn, ...readKeyFiles(`--host ${spec.nqn}`, spec.files) });
  }
  return { hostNqns, hosts };
}

/**
 * The nvme-cli options a host connects with, pointing at the key files (the secrets stay in them);
 * for TLS the kernel takes the PSK from its .nvme keyring (nvme tls-key --import, tlshd running).
 */
export function connectAuthArgs(files: KeyFilePaths): string[] {
  return [
    ...(files['dhchap-key-file'] ? [`--dhchap-secret "$(cat ${files['dhchap-key-file']})"`] : []),
    ...(files['dhchap-ctrlr-key-file'] ? [`--dhchap-ctrl-secret "$(cat ${files['dhchap-ctrlr-key-file']})"`] : []),
    ...(files['psk-file'] ? ['--tls'] : []),
  ];
}
