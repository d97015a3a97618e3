/**
 * Crash injection for the crash-consistency tests: with CONDUCTOR_KILL_AFTER=<operation>:<n> the
 * process SIGKILLs itself right after the n-th successful spdk_tgt call made inside that
 * operation, i.e. between two SPDK calls, before it acts on the answer. Unset (always, outside
 * tests), the caller is returned untouched.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CallOptions, SpdkCaller } from '../../spdk/call.js';

interface Operation {
  name: string;
  calls: number;
}

const current = new AsyncLocalStorage<Operation>();
/**
 * Only a process started with the kill switch tracks operations: an AsyncLocalStorage in use
 * turns on Node's promise hooks, which cost every promise of the service CPU time.
 */
const armed = process.env.CONDUCTOR_KILL_AFTER !== undefined;

/** Runs `work` as the named operation, so its spdk_tgt calls can be counted. */
export function asOperation<T>(name: string, work: () => Promise<T>): Promise<T> {
  return armed ? current.run({ name, calls: 0 }, work) : work();
}

export function killSwitchFromEnv(env: NodeJS.ProcessEnv = process.env): { operation: string; afterCalls: number } | undefined {
  const spec = env.CONDUCTOR_KILL_AFTER;
  if (!spec) return undefined;
  const match = /^([a-z-]+):(\d+)$/.exec(spec);
  if (!match) throw new Error(`CONDUCTOR_KILL_AFTER must be <operation>:<n>, got "${spec}"`);
  return { operation: match[1]!, afterCalls: Number(match[2]) };
}

export function withKillSwitch(caller: SpdkCaller, env: NodeJS.ProcessEnv = process.env): SpdkCaller {
  const kill = killSwitchFromEnv(env);
  if (!kill) return caller;
  return {
    async call<T>(method: string, params?: object, options?: CallOptions): Promise<T> {
      const result = await caller.call<T>(method, params, options);
      const op = current.getStore();
      if (op && op.name === kill.operation && ++op.calls === kill.afterCalls) {
        process.kill(process.pid, 'SIGKILL');
      }
      return result;
    },
  };
}
