/**
 * Reads the configuration from defaults, an optional JSON file, the environment and flags, and
 * validates every value at start: a bad value stops the service with a message naming the key,
 * where it came from and the expected form, before anything is touched.
 *
 * The file is typed JSON, so its values must have the key's type (5, not "5"; true, not "true");
 * the environment and flags are text and are parsed. An empty environment variable is refused
 * rather than read as unset: `CONDUCTOR_API_TCP=` reads like "no TCP listener", and silently
 * getting the default listener instead is the worse surprise.
 */
import fs from 'node:fs';
import { ConfigError } from '../errors.js';
import { hasControlCharacter } from '../validation/text.js';
import { CONFIG_KEYS, envName, flagName, type Config, type ConfigKey, type KeySpec } from './schema.js';

export interface ConfigSources {
  /** Path of a JSON file with dotted keys or nested objects ({"spdk": {"socket": "..."}}). */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Flag values by flag name without dashes ("spdk-socket"). */
  flags?: Readonly<Record<string, string | boolean | undefined>>;
}

/** Where each value of a loaded configuration came from, for messages about it after loading. */
const SOURCES = new WeakMap<Config, ReadonlyMap<ConfigKey, string>>();

export function loadConfig(sources: ConfigSources = {}): Config {
  const values = new Map<ConfigKey, unknown>();
  const from = new Map<ConfigKey, string>();
  const set = (key: ConfigKey, raw: unknown, source: string, typed: boolean): void => {
    values.set(key, coerce(key, CONFIG_KEYS[key], raw, source, typed));
    from.set(key, source);
  };
  for (const key of keys()) values.set(key, CONFIG_KEYS[key].default);

  if (sources.file) {
    for (const [key, raw] of Object.entries(readFile(sources.file))) {
      if (isKey(key)) set(key, raw, `file ${sources.file}`, true);
      else if (keys().some((k) => k.startsWith(`${key}.`))) throw new ConfigError(key, `file ${sources.file}: expected an object of ${key}.* keys, got ${JSON.stringify(raw)}`);
      else throw new ConfigError(key, `unknown key in ${sources.file}; known keys: ${keys().join(', ')}`);
    }
  }
  const env = sources.env ?? {};
  for (const key of keys()) {
    const raw = env[envName(key)];
    if (raw === '') throw new ConfigError(key, `environment ${envName(key)} is set but empty; give a value, or unset it for the default`);
    if (raw !== undefined) set(key, raw, `environment ${envName(key)}`, false);
  }
  for (const [flag, raw] of Object.entries(sources.flags ?? {})) {
    if (raw === undefined) continue;
    const key = keys().find((k) => flagName(k) === flag);
    if (!key) throw new ConfigError(flag, `unknown flag --${flag}`);
    set(key, raw, `flag --${flag}`, false);
  }
  const config = Object.freeze(Object.fromEntries(values)) as Config;
  SOURCES.set(config, from);
  checkTogether(config, from);
  return config;
}

/** Where a loaded value came from: "file PATH", "environment NAME", "flag --NAME" or "default". */
export function configSource(config: Config, key: ConfigKey): string {
  return SOURCES.get(config)?.get(key) ?? 'default';
}

/** Rules between keys, named with both keys and where each value came from. */
function checkTogether(config: Config, from: ReadonlyMap<ConfigKey, string>): void {
  const min = config['export.portMin'];
  const max = config['export.portMax'];
  if (min > max) {
    const source = (key: ConfigKey): string => from.get(key) ?? 'default';
    throw new ConfigError('export.portMin', `${min} (${source('export.portMin')}) is above export.portMax ${max} (${source('export.portMax')}); expected export.portMin <= export.portMax`);
  }
  if (config.simulator === true && config['spdk.socket'] !== undefined)
    throw new ConfigError('simulator', `${from.get('simulator')} asks for the simulator and spdk.socket is set (${from.get('spdk.socket')}); give one of them`);
}

/** The flag names `loadConfig` understands, for the CLI's argument parser. */
export function configFlags(): Record<string, { type: 'string' }> {
  return Object.fromEntries(keys().map((k) => [flagName(k), { type: 'string' as const }]));
}

/** The configuration with secrets masked, for logs and `config show`. */
export function redactedConfig(config: Config): Record<string, unknown> {
  return Object.fromEntries(keys().map((k) => [k, (CONFIG_KEYS[k] as KeySpec).secret && config[k] !== undefined ? '[redacted]' : config[k]]));
}

function keys(): ConfigKey[] {
  return Object.keys(CONFIG_KEYS) as ConfigKey[];
}

function isKey(key: string): key is ConfigKey {
  return Object.hasOwn(CONFIG_KEYS, key);
}

function readFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('file', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('file', `${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('file', `${file} must hold a JSON object`);
  }
  return flatten(parsed as Record<string, unknown>);
}

function flatten(object: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(object)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !isKey(key)) Object.assign(out, flatten(value as Record<string, unknown>, key));
    else out[key] = value;
  }
  return out;
}

/** `typed`: the value comes from JSON and must already have the key's type; otherwise it is text to parse. */
function coerce(key: string, spec: KeySpec, raw: unknown, source: string, typed: boolean): unknown {
  const fail = (expected: string): never => {
    throw new ConfigError(key, `${source}: expected ${expected}, got ${spec.secret ? 'a value' : JSON.stringify(raw)}`);
  };
  if (typed && spec.type === 'integer' && typeof raw !== 'number') fail(`a JSON number (an integer from ${spec.min ?? '-∞'} to ${spec.max ?? '∞'})`);
  if (typed && spec.type === 'boolean' && typeof raw !== 'boolean') fail('a JSON boolean, true or false');
  switch (spec.type) {
    case 'string': {
      if (typeof raw !== 'string' || raw === '') fail('a non-empty string');
      if (hasControlCharacter(raw as string)) fail('a string without control characters');
      const problem = spec.check?.(raw as string);
      if (problem) throw new ConfigError(key, `${source}: ${problem}`);
      return raw;
    }
    case 'enum':
      if (typeof raw !== 'string' || !spec.values?.includes(raw)) fail(`one of ${spec.values?.join(', ')}`);
      return raw;
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return fail('true or false');
    case 'integer': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      const range = `an integer from ${spec.min ?? '-∞'} to ${spec.max ?? '∞'}`;
      if (!Number.isSafeInteger(n)) fail(range);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) fail(range);
      return n;
    }
  }
}
