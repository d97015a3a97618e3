/**
 * The service's timeout budget from its configuration, checked once at start: a budget that would
 * let one lost replica fail a whole volume stops the service before any engine is built with it.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import { checkBudget, requireSoundBudget, type TimeoutBudget } from './timeout-budget.js';

/**
 * The configured budget, unchecked. The host's io_timeout is a property of its kernel, so the value
 * read from sysfs (see host/nvme-params.ts) wins; the configured one stands in where sysfs has none.
 */
export function configuredBudget(config: Config, sysfsIoTimeoutSec?: number): TimeoutBudget {
  return {
    host: {
      ctrlLossTmoSec: config['timeouts.host.ctrlLossTmoSec'],
      reconnectDelaySec: config['timeouts.host.reconnectDelaySec'],
      keepAliveTmoSec: config['timeouts.host.keepAliveTmoSec'],
      ioTimeoutSec: sysfsIoTimeoutSec ?? config['timeouts.host.ioTimeoutSec'],
    },
    replica: {
      reconnectDelaySec: config['timeouts.replica.reconnectDelaySec'],
      fastIoFailTimeoutSec: config['timeouts.replica.fastIoFailTimeoutSec'],
      ctrlrLossTimeoutSec: config['timeouts.replica.ctrlrLossTimeoutSec'],
      keepAliveTimeoutMs: config['timeouts.replica.keepAliveTimeoutMs'],
      transportAckTimeout: config['timeouts.replica.transportAckTimeout'],
    },
  };
}

/**
 * The budget the service runs with. A broken one throws a ConfigError naming every rule broken and
 * its numbers, unless timeouts.unsafeSkipCheck is set: then it is used anyway, loudly, because
 * the only reason to run it is to show the failure it causes. Warnings are logged either way.
 */
export function budgetFromConfig(config: Config, sysfsIoTimeoutSec?: number, log?: Pick<Logger, 'warn'>): TimeoutBudget {
  const budget = configuredBudget(config, sysfsIoTimeoutSec);
  const warn = (details: Record<string, unknown>, message: string): void => {
    if (log) log.warn(details, message);
    else process.emitWarning(`${message}: ${JSON.stringify(details)}`);
  };
  if (config['timeouts.unsafeSkipCheck']) {
    const verdict = checkBudget(budget);
    if (!verdict.ok) {
      warn({ budget, violations: verdict.violations }, 'UNSAFE: timeouts.unsafeSkipCheck is set and the timeout budget is broken; losing one replica can fail whole volumes');
    }
    for (const w of verdict.warnings) warn({ rule: w.rule }, w.message);
    return budget;
  }
  const verdict = requireSoundBudget(budget, 'INVALID_CONFIG');
  for (const w of verdict.warnings) warn({ rule: w.rule }, w.message);
  return budget;
}
