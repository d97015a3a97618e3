/**
 * The name lookups of S3 endpoints, bounded. `dns.lookup` is getaddrinfo on one of libuv's pool
 * threads (threadpool.ts), the threads the state file's writes need; with the node's resolver
 * unreachable it holds its thread for the resolver's whole timeout (glibc: 5 s × 2 attempts per
 * server, for each name of the search list: tens of seconds in a cluster's ndots:5 setup), and
 * nothing cancels it. A backup opens 8 connections at once and the jobs retry, so without a bound
 * a dead resolver took every thread of the pool, again at each retry, and every change on the node
 * waited. So:
 * - lookups of the same name with the same options share one getaddrinfo until it returns (a
 *   burst of connections to one endpoint, and the retries after it, cost one thread);
 * - lookups run in LOOKUP_LANES lanes for the process (blocking-calls.ts), and a caller
 *   stops waiting after the request's bound: BACKUP_TARGET_UNREACHABLE, not retried, naming the
 *   lookup that has not returned. A lookup that returns late frees its lane then.
 * Nothing is cached past the lookup: the next connection asks again, so a changed record is seen.
 * The agent (s3-store.ts) hands this to net.connect as its `lookup`; an IP address is never looked up.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { BlockingCalls } from './blocking-calls.js';

/** The lookup function net.connect takes (its `lookup` option), in both of its answer shapes. */
export type NetLookup = (
  hostname: string,
  options: { family?: number | string; hints?: number; all?: boolean; order?: string; verbatim?: boolean },
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

/** What runs a lookup: dns.lookup with `all` (tests give one that never answers, as a dead resolver). */
export type Resolve = (hostname: string, options: LookupAllOptions) => Promise<LookupAddress[]>;

const systemResolve: Resolve = (hostname, options) => new Promise((resolve, reject) => dnsLookup(hostname, options, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** Pool threads the process's endpoint lookups may hold at once. */
export const LOOKUP_LANES = 2;

const DEAD_RESOLVER = "the node's resolver does not answer (DNS unreachable?)";

export class EndpointLookups {
  private readonly calls: BlockingCalls;
  private readonly running = new Map<string, Promise<LookupAddress[]>>();

  constructor(
    private readonly resolve: Resolve = systemResolve,
    lanes = LOOKUP_LANES,
  ) {
    this.calls = new BlockingCalls('endpoint lookups', lanes, 30_000, DEAD_RESOLVER);
  }

  /** Lookups running now (a hung one stays counted until it returns). */
  get busy(): number {
    return this.calls.busy;
  }

  /**
   * All addresses of `hostname`. A lookup of the same name and options is shared until its
   * getaddrinfo returns, also past the bound of the callers who started it: a caller who comes
   * while it hangs fails at once with its reason, and no second thread is taken for the name.
   */
  addresses(hostname: string, options: LookupAllOptions, timeoutMs: number): Promise<LookupAddress[]> {
    const key = `${hostname}\0${options.family ?? 0}\0${options.hints ?? 0}\0${options.order ?? ''}\0${options.verbatim ?? ''}`;
    const running = this.running.get(key);
    if (running) return running;
    const forget = (): void => {
      if (this.running.get(key) === answer) this.running.delete(key);
    };
    let started = false;
    const answer = this.calls.run(
      `lookup of ${hostname}`,
      () => {
        started = true;
        const resolving = this.resolve(hostname, { ...options, all: true });
        resolving.then(forget, forget);
        return resolving;
      },
      { timeoutMs },
    );
    // One that never got a lane never ran: the next caller may try again.
    answer.catch(() => {
      if (!started) forget();
    });
    this.running.set(key, answer);
    return answer;
  }

  /** net.connect's `lookup` for connections whose callers wait at most `timeoutMs` for it. */
  forConnections(timeoutMs: number): NetLookup {
    return (hostname, options, callback) => {
      const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
      const wanted: LookupAllOptions = { all: true, family, ...(options.hints !== undefined ? { hints: options.hints } : {}) };
      if (options.order !== undefined) wanted.order = options.order as LookupAllOptions['order'];
      else if (options.verbatim !== undefined) wanted.verbatim = options.verbatim;
      this.addresses(hostname, wanted, timeoutMs).then(
        (addresses) => {
          if (options.all) callback(null, addresses);
          else if (addresses.length === 0) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }), '', 0);
          else callback(null, addresses[0]!.address, addresses[0]!.family);
        },
        (err: NodeJS.ErrnoException) => callback(err, options.all ? [] : '', 0),
      );
    };
  }
}

/** The process's lookups: every S3 store's agent uses them, so the lanes bound them all together. */
export const endpointLookups = new EndpointLookups();
