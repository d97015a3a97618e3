/**
 * Structured logs: one root pino logger, one child per component (`component` field), secrets
 * censored wherever they appear in logged params (TLS PSKs, DH-HMAC-CHAP keys).
 *
 * Censoring is a walk of each line's object (and each child's bindings) to the depth where request
 * params show up (three levels: `key`, `*.key`, `*.*.key`), copying only what holds a secret. It
 * censors what pino's `redact` with those wildcard paths did (test/log.test.ts compares the two over
 * many shapes), at a third of the cost per line: fast-redact ran its wildcard redactor over every
 * top-level value of every line, 27-35 µs a line against ~9 µs without it (a tenth of a
 * millisecond of CPU per ReplicaCreate at info, docs/architecture.md).
 */
import pino, { type Logger, type LevelWithSilent } from 'pino';

/** `ctrlrKey`: the NVMe/TCP host's DH-HMAC-CHAP controller secret (its `dhchap.key` is `key`). */
const SECRET_FIELDS = ['psk', 'dhchap_key', 'dhchap_ctrlr_key', 'key', 'ctrlrKey', 'secret', 'password', 'token'];
const SECRETS: ReadonlySet<string> = new Set(SECRET_FIELDS);
const CENSOR = '[redacted]';
/** Levels below the line's object that are looked at: params sit at most at `*.*.field`. */
const DEPTH = 3;

/** Paths at the depths where request params show up in our log lines (pino's redact form; the walk below censors the same). */
export const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `params.*.${f}`]);

/** Objects whose keys are walked: not strings' or binary data's indices. */
function walkable(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer);
}

/**
 * A copy of `value` keeping its prototype and every own property (an Error's message and stack too).
 * An own accessor is copied as the value it reads now: node 24's V8 gives an Error its `stack` as
 * an own getter that reads the error's internal slot, which the copy has not, so copied as a
 * getter it would read undefined (node 20's is a data property).
 */
function copyOf<T extends object>(value: T): T {
  if (Array.isArray(value)) return [...value] as T;
  const descriptors = Object.getOwnPropertyDescriptors(value) as Record<PropertyKey, PropertyDescriptor>;
  for (const key of Reflect.ownKeys(descriptors)) {
    const d = descriptors[key]!;
    if (d.get) descriptors[key] = { value: Reflect.get(value, key), writable: true, enumerable: d.enumerable ?? false, configurable: true };
  }
  return Object.create(Object.getPrototypeOf(value), descriptors) as T;
}

/**
 * `value` with every secret field at most `depth` levels down censored: itself when it holds none
 * (the common case: nothing copied), else a copy along the paths to them. The caller's objects are
 * never changed.
 */
export function censorSecrets<T>(value: T, depth = DEPTH): T {
  if (depth <= 0 || !walkable(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const inner = (value as Record<string, unknown>)[key];
    let next: unknown;
    if (SECRETS.has(key)) {
      // A line's own field set to undefined is not written at all (pino skips it); deeper, the
      // field is written, censored.
      if (inner === undefined && depth === DEPTH) continue;
      next = CENSOR;
    } else {
      next = censorSecrets(inner, depth - 1);
      if (next === inner) continue;
    }
    out ??= copyOf(value as object) as Record<string, unknown>;
    out[key] = next;
  }
  return (out as T | undefined) ?? value;
}

/** A secret field's name as a key in JSON text: a child's bindings that hold none need no look. */
const SECRET_KEY_TEXT = new RegExp(`"(?:${SECRET_FIELDS.join('|')})":`);

/**
 * A child logger's bindings, censored: pino writes them into its line prefix when the child is
 * made, and does not pass a child's bindings through formatters.bindings, so the prefix is looked
 * at once here (onChild) and made again only if it names a secret field.
 */
function censorChildBindings(child: Logger): void {
  const holder = child as unknown as Record<symbol, string>;
  const text = holder[pino.symbols.chindingsSym] ?? '';
  if (!SECRET_KEY_TEXT.test(text)) return;
  const bindings = JSON.parse(`{${text.slice(1)}}`) as Record<string, unknown>;
  const censored = censorSecrets(bindings);
  if (censored !== bindings) holder[pino.symbols.chindingsSym] = `,${JSON.stringify(censored).slice(1, -1)}`;
}

export interface LogOptions {
  level?: LevelWithSilent;
  /** Where lines go (default stdout). */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LogOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'spdk-conductor' },
      formatters: { log: (object) => censorSecrets(object), bindings: (bindings) => censorSecrets(bindings) },
      onChild: censorChildBindings,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

export function componentLogger(root: Logger, component: string): Logger {
  return root.child({ component });
}
