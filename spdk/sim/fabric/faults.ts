/**
 * The simulator's fault methods for the fabric (never in real spdk_tgt). The target side (nvmf)
 * and the host side (bdev_nvme) both act on them, but a method can be registered only once per
 * simulator, so both sides plug their handlers into one hub per SimTarget.
 *
 *   sim_fabric_cut        {controller} | {nqn}            close the TCP connection(s) now
 *   sim_fabric_blackhole  {controller} | {nqn}, enable    stall without closing (or resume)
 *   sim_listeners_kill    {}                              close every listener and its connections
 *   sim_listeners_restore {}                              listen again on every configured address
 */
import { SimRpcError, type SimTarget } from '../core/contract.js';

export interface FabricFaultHandlers {
  /** Each returns false when it does not know the name. */
  cutController?(name: string): boolean;
  cutSubsystem?(nqn: string): boolean;
  blackholeController?(name: string, enable: boolean): boolean;
  blackholeSubsystem?(nqn: string, enable: boolean): boolean;
  killListeners?(): void;
  restoreListeners?(): Promise<void>;
}

const INVALID = () => new SimRpcError(-32602, 'Invalid parameters');
const NO_DEVICE = () => new SimRpcError(-19, 'No such device');

class FaultHub {
  private readonly handlers: FabricFaultHandlers[] = [];

  constructor(target: SimTarget) {
    target.register('sim_fabric_cut', {
      decode: (params) => void targetOf(params, false),
      handler: (params) => {
        const which = targetOf(params, false);
        const hit = which.kind === 'controller' ? this.handlers.some((h) => h.cutController?.(which.name) ?? false) : this.handlers.some((h) => h.cutSubsystem?.(which.name) ?? false);
        if (!hit) throw NO_DEVICE();
        return true;
      },
    });
    target.register('sim_fabric_blackhole', {
      decode: (params) => void targetOf(params, true),
      handler: (params) => {
        const which = targetOf(params, true);
        const hit =
          which.kind === 'controller'
            ? this.handlers.some((h) => h.blackholeController?.(which.name, which.enable) ?? false)
            : this.handlers.some((h) => h.blackholeSubsystem?.(which.name, which.enable) ?? false);
        if (!hit) throw NO_DEVICE();
        return true;
      },
    });
    target.register('sim_listeners_kill', {
      handler: () => {
        for (const h of this.handlers) h.killListeners?.();
        return true;
      },
    });
    target.register('sim_listeners_restore', {
      handler: async () => {
        for (const h of this.handlers) await h.restoreListeners?.();
        return true;
      },
    });
  }

  add(handlers: FabricFaultHandlers): void {
    this.handlers.push(handlers);
  }
}

interface FaultTarget {
  kind: 'controller' | 'subsystem';
  name: string;
  enable: boolean;
}

function targetOf(params: unknown, needsEnable: boolean): FaultTarget {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) throw INVALID();
  const p = params as Record<string, unknown>;
  const allowed = new Set(['controller', 'nqn', 'enable']);
  if (Object.keys(p).some((k) => !allowed.has(k))) throw INVALID();
  const hasController = typeof p.controller === 'string';
  const hasNqn = typeof p.nqn === 'string';
  if (hasController === hasNqn) throw INVALID();
  if (needsEnable && typeof p.enable !== 'boolean') throw INVALID();
  if (!needsEnable && p.enable !== undefined) throw INVALID();
  return {
    kind: hasController ? 'controller' : 'subsystem',
    name: (hasController ? p.controller : p.nqn) as string,
    enable: p.enable === true,
  };
}

const hubs = new WeakMap<SimTarget, FaultHub>();

/** The fault hub of this simulator, registering the sim_ fabric methods on first use. */
export function fabricFaults(target: SimTarget): FaultHub {
  let hub = hubs.get(target);
  if (!hub) {
    hub = new FaultHub(target);
    hubs.set(target, hub);
  }
  return hub;
}
