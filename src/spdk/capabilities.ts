/**
 * What the connected spdk_tgt can do, read on every (re)connect: its version and the methods it
 * has, so callers can ask before using an optional method (shallow copy, set_parent_bdev...).
 */
import type { Logger } from 'pino';
import type { SpdkCaller } from './call.js';
import type { SpdkConnection } from './connection.js';

export interface SpdkVersion {
  version: string;
  fields: { major: number; minor: number; patch: number; suffix: string };
}

export interface CapabilitySnapshot {
  version: SpdkVersion;
  /** Set when the target is spdk-conductor's simulator rather than a real spdk_tgt. */
  simulator: { name: string; version: string } | undefined;
  methods: ReadonlySet<string>;
}

export class Capabilities {
  private current: Promise<CapabilitySnapshot> | undefined;
  private last: CapabilitySnapshot | undefined;

  constructor(
    private readonly caller: SpdkCaller,
    connection: SpdkConnection,
    private readonly log: Logger,
  ) {
    // Another spdk_tgt may answer after a reconnect (an upgrade, a restart): read again.
    connection.on('open', () => {
      this.current = undefined;
      this.get().catch(() => undefined);
    });
  }

  /** The capabilities of the spdk_tgt currently connected, loading them if needed. */
  get(): Promise<CapabilitySnapshot> {
    this.current ??= this.load().catch((err: unknown) => {
      this.current = undefined;
      throw err;
    });
    return this.current;
  }

  /** The last capabilities read, without waiting; undefined before the first connect. */
  peek(): CapabilitySnapshot | undefined {
    return this.last;
  }

  async has(method: string): Promise<boolean> {
    return (await this.get()).methods.has(method);
  }

  private async load(): Promise<CapabilitySnapshot> {
    const [version, methods] = await Promise.all([
      this.caller.call<SpdkVersion & { simulator?: { name: string; version: string } }>('spdk_get_version'),
      this.caller.call<string[]>('rpc_get_methods'),
    ]);
    const snapshot: CapabilitySnapshot = {
      version: { version: version.version, fields: version.fields },
      simulator: version.simulator,
      methods: new Set(methods),
    };
    this.last = snapshot;
    this.log.info({ version: version.version, simulator: version.simulator?.name, methods: methods.length }, 'spdk_tgt capabilities');
    return snapshot;
  }
}
