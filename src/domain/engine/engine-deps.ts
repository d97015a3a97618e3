/**
 * What engines take from the rest of the node: the timeout budget's numbers (per-engine overrides
 * re-checked against every rule) and the kernel host frontend over nvme-cli.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { Logger } from 'pino';
import { connectFrontend } from '../../host/frontend.js';
import { NvmeCli } from '../../host/nvme-cli.js';
import type { EngineDeps, HostFrontend } from './engines.js';
import type { TimeoutOverride } from '../model.js';
import { NQN_PREFIX } from '../node/naming.js';
import { applyOverride, replicaAttachParams, requireSoundBudget, type TimeoutBudget } from './timeout-budget.js';

export interface HostNqns {
  /** The NQN this node's engines attach replicas as; default: derived from the hostname. */
  engine?: string | undefined;
  /** The kernel host's NQN for nvme-host frontends; default: /etc/nvme/hostnqn. */
  frontend?: string | undefined;
}

export function engineDeps(hostNqns: HostNqns, budget: TimeoutBudget, log: Logger): EngineDeps {
  const effective = (override?: TimeoutOverride): TimeoutBudget => {
    if (!override) return budget;
    const changed = applyOverride(budget, override);
    requireSoundBudget(changed, 'INVALID_TIMEOUTS');
    return changed;
  };
  return {
    attachParams: (override) => replicaAttachParams(effective(override)),
    hostCtrlLossTmoSec: (override) => effective(override).host.ctrlLossTmoSec,
    hostTimeouts: (override) => effective(override).host,
    engineHostNqn:
      hostNqns.engine ??
      `${NQN_PREFIX}:engine:${os
        .hostname()
        .toLowerCase()
        .replace(/[^a-z0-9.-]/g, '-')}`,
    hostFrontend: kernelFrontend(hostNqns.frontend, budget, log),
    memberGoneTimeoutMs: 30_000,
  };
}

/** This node's kernel as a host; undefined when it has no host NQN (nvme-cli not set up). */
function kernelFrontend(configured: string | undefined, budget: TimeoutBudget, log: Logger): HostFrontend | undefined {
  const hostNqn = configured ?? readHostNqn();
  if (!hostNqn) return undefined;
  const cli = new NvmeCli({ logger: log.child({ component: 'nvme-cli' }) });
  let checked: Promise<void> | undefined;
  return {
    hostNqn,
    async connect({ nqn, address, port, ctrlLossTmoSec }) {
      // Missing nvme-cli or nvme-tcp is reported when a frontend is asked for, with what to install.
      checked ??= cli.preflight().catch((err: unknown) => {
        checked = undefined;
        throw err;
      });
      await checked;
      const frontend = await connectFrontend(cli, {
        nqn,
        address,
        port,
        hostNqn,
        ctrlLossTmoSec,
        reconnectDelaySec: budget.host.reconnectDelaySec,
        keepAliveTmoSec: budget.host.keepAliveTmoSec,
      });
      return { device: frontend.device };
    },
    disconnect: (nqn) => cli.disconnect(nqn),
  };
}

function readHostNqn(): string | undefined {
  try {
    return fs.readFileSync('/etc/nvme/hostnqn', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
