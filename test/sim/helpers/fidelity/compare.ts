/**
 * Comparing a simulator answer with a recorded one: errors must be identical (code and message);
 * results must have the same keys and value types all the way down (values such as uuids,
 * addresses and counters may differ). Array elements are paired by `name` (or `alias`, `nqn`,
 * `module`) when they have one, else by position.
 */

export type Kind = 'null' | 'array' | 'object' | 'string' | 'number' | 'boolean';

function kindOf(v: unknown): Kind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v as Kind;
}

const PAIR_KEYS = ['name', 'alias', 'nqn', 'module', 'method'] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function pairKey(v: unknown): string | undefined {
  if (kindOf(v) !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  // An lvol bdev is named by its uuid, which differs between runs: pair it by its alias.
  const aliases = o['aliases'];
  if (typeof o['name'] === 'string' && UUID.test(o['name']) && Array.isArray(aliases) && typeof aliases[0] === 'string') {
    return `alias=${aliases[0] as string}`;
  }
  for (const k of PAIR_KEYS) if (typeof o[k] === 'string') return `${k}=${o[k] as string}`;
  return undefined;
}

export interface CompareOptions {
  /** Keys the simulator may add to objects at this path (e.g. spdk_get_version's `simulator`). */
  readonly allowExtra?: ReadonlyMap<string, readonly string[]>;
  /** Keys whose scalar values must be equal too, not only of the same type (e.g. `refcnt`). */
  readonly exact?: ReadonlySet<string>;
}

export function compareShape(recorded: unknown, actual: unknown, path = '$', opts: CompareOptions = {}, out: string[] = []): string[] {
  const rk = kindOf(recorded);
  const ak = kindOf(actual);
  if (rk !== ak) {
    out.push(`${path}: ${ak} where the recording has ${rk}`);
    return out;
  }
  if (rk === 'object') {
    const r = recorded as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const extra = opts.allowExtra?.get(path) ?? [];
    for (const k of Object.keys(r)) if (!(k in a)) out.push(`${path}.${k}: missing`);
    for (const k of Object.keys(a)) if (!(k in r) && !extra.includes(k)) out.push(`${path}.${k}: not in the recording`);
    for (const k of Object.keys(r)) {
      if (!(k in a)) continue;
      const scalar = kindOf(r[k]) !== 'object' && kindOf(r[k]) !== 'array';
      if (opts.exact?.has(k) && scalar && r[k] !== a[k]) out.push(`${path}.${k}: ${JSON.stringify(a[k])} where the recording has ${JSON.stringify(r[k])}`);
      else compareShape(r[k], a[k], `${path}.${k}`, opts, out);
    }
  } else if (rk === 'array') {
    const r = recorded as unknown[];
    const a = actual as unknown[];
    if ((r.length === 0) !== (a.length === 0)) {
      out.push(`${path}: ${a.length} elements where the recording has ${r.length}`);
      return out;
    }
    // Several recorded elements may share a key (framework_get_config's bdev_set_qos_limit entries
    // with different limits): the counterpart is the first of them with the same shape, if any.
    const byKey = new Map<string, unknown[]>();
    for (const e of r) {
      const k = pairKey(e);
      if (k !== undefined) byKey.set(k, [...(byKey.get(k) ?? []), e]);
    }
    const counterpartByKey = (k: string | undefined, e: unknown) => {
      const candidates = k === undefined ? undefined : byKey.get(k);
      return candidates?.find((c) => compareShape(c, e, path, opts).length === 0) ?? candidates?.[0];
    };
    const sameProduct = (e: unknown) => {
      const p = kindOf(e) === 'object' ? (e as Record<string, unknown>)['product_name'] : undefined;
      return p === undefined ? undefined : r.find((x) => kindOf(x) === 'object' && (x as Record<string, unknown>)['product_name'] === p);
    };
    a.forEach((e, i) => {
      const k = pairKey(e);
      const counterpart = counterpartByKey(k, e) ?? sameProduct(e) ?? r[Math.min(i, r.length - 1)];
      compareShape(counterpart, e, `${path}[${k ?? i}]`, opts, out);
    });
  }
  return out;
}

interface CopyCheck {
  state?: string;
  copied_clusters?: number;
  total_clusters?: number;
}

/**
 * A shallow copy's check that shows the copy still running with no more clusters copied than the
 * recording's answer, of the same total: the simulator's copy is slower on a loaded machine, not
 * wrong (a copy of 2 clusters was still at 1 after 750 ms at load 20, where the recording saw it
 * complete at its first check), so the poll is repeated as for a state the recording showed earlier.
 */
export function copyBehind(method: string, recorded: { result?: unknown }, got: { result?: unknown }): boolean {
  if (method !== 'bdev_lvol_check_shallow_copy') return false;
  const r = recorded.result as CopyCheck | undefined;
  const g = got.result as CopyCheck | undefined;
  if (r === undefined || g === undefined || g.state !== 'in progress') return false;
  return (r.state === 'in progress' || r.state === 'complete') && g.total_clusters === r.total_clusters && (g.copied_clusters ?? 0) <= (r.copied_clusters ?? 0);
}
