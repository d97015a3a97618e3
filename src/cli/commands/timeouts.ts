/**
 * `spdk-conductor timeouts check`: the configured timeout budget as a timeline of what happens
 * after a replica is lost, the host limits it races, the margins, and the verdict. It answers
 * "would losing a replica fail my volumes?" before anything is built, so it exits 2 on a broken
 * budget even when timeouts.unsafeSkipCheck would let the service start with it.
 */
import path from 'node:path';
import type { Config } from '../../config/schema.js';
import { configuredBudget } from '../../domain/engine/timeout-budget-config.js';
import { checkBudget, hostConnectArgs, nvmeSetOptions, replicaAttachParams, type BudgetMargin, type BudgetVerdict, type TimeoutBudget } from '../../domain/engine/timeout-budget.js';
import { NVME_IO_TIMEOUT_PATH, readHostIoTimeout } from '../../host/nvme-params.js';
import { EXIT } from '../exit-codes.js';

export interface TimeoutsCheckOptions {
  json: boolean;
  out: NodeJS.WritableStream;
  /** Where sysfs is mounted, for tests; default `/`. */
  sysfsRoot?: string;
}

type IoTimeoutSource = { from: 'sysfs'; file: string } | { from: 'config'; key: 'timeouts.host.ioTimeoutSec' };

/** Prints the budget and returns the exit code: 0 when every rule holds, 2 when one is broken. */
export async function timeoutsCheck(config: Config, options: TimeoutsCheckOptions): Promise<number> {
  const root = options.sysfsRoot ?? '/';
  const sysfs = await readHostIoTimeout(root);
  const source: IoTimeoutSource = sysfs === undefined ? { from: 'config', key: 'timeouts.host.ioTimeoutSec' } : { from: 'sysfs', file: path.join(root, NVME_IO_TIMEOUT_PATH) };
  const budget = configuredBudget(config, sysfs);
  const verdict = checkBudget(budget);
  const unsafeSkipCheck = config['timeouts.unsafeSkipCheck'];

  if (options.json) {
    const report = {
      ok: verdict.ok,
      budget,
      ioTimeoutSource: source,
      unsafeSkipCheck,
      violations: verdict.violations,
      warnings: verdict.warnings,
      timeline: verdict.timeline,
      margins: verdict.margins,
      spdk: { attachController: replicaAttachParams(budget), setOptions: nvmeSetOptions(budget) },
      hostConnectArgs: hostConnectArgs(budget),
    };
    options.out.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    options.out.write(renderText(budget, verdict, source, unsafeSkipCheck));
  }
  return verdict.ok ? EXIT.OK : EXIT.USAGE;
}

function renderText(budget: TimeoutBudget, verdict: BudgetVerdict, source: IoTimeoutSource, unsafeSkipCheck: boolean): string {
  const { host, replica } = budget;
  const lines: string[] = [];
  lines.push(`timeout budget: ${verdict.ok ? 'sound' : `BROKEN (${verdict.violations.length} rule${verdict.violations.length === 1 ? '' : 's'})`}`, '');

  const ack = replica.transportAckTimeout === 0 ? '0 (SPDK default)' : `${replica.transportAckTimeout} (TCP: closes after ${2 ** replica.transportAckTimeout} ms unacknowledged)`;
  lines.push(
    `replica (bdev_nvme): reconnect_delay_sec ${replica.reconnectDelaySec}, fast_io_fail_timeout_sec ${replica.fastIoFailTimeoutSec}, ` +
      `ctrlr_loss_timeout_sec ${replica.ctrlrLossTimeoutSec}, keep_alive_timeout_ms ${replica.keepAliveTimeoutMs}, transport_ack_timeout ${ack}`,
  );
  const from = source.from === 'sysfs' ? source.file : `config ${source.key}; sysfs has none`;
  lines.push(`host: nvme connect ${hostConnectArgs(budget).join(' ')}; io_timeout ${host.ioTimeoutSec} s (from ${from})`, '');

  if (verdict.timeline.length > 0) {
    lines.push('worst case, seconds after a replica is lost without closing its connection:');
    for (const event of verdict.timeline) lines.push(`  ${`+${num(event.atSec)} s`.padStart(10)}  ${event.side.padEnd(7)}  ${event.label}`);
    lines.push('');
    lines.push('margins (each replica deadline must beat the host limit by one reconnect period):');
    for (const margin of verdict.margins) lines.push(`  ${marginLine(margin)}`);
    lines.push('');
  }
  if (verdict.violations.length > 0) {
    lines.push('broken:');
    for (const v of verdict.violations) lines.push(`  ${v.message}`);
    lines.push('');
  }
  if (verdict.warnings.length > 0) {
    lines.push('warnings:');
    for (const w of verdict.warnings) lines.push(`  ${w.message}`);
    lines.push('');
  }
  if (!verdict.ok && unsafeSkipCheck) lines.push('note: timeouts.unsafeSkipCheck is set: serve would start with this broken budget anyway', '');
  lines.push(`verdict: ${verdict.ok ? 'pass' : 'fail'}`);
  return lines.join('\n') + '\n';
}

function marginLine(m: BudgetMargin): string {
  const worst = m.worstCaseSec === null ? 'never' : `${num(m.worstCaseSec)} s`;
  const limit = `${num(m.limitSec)} s`;
  if (!m.applies) return `${m.what}: ${worst}; ${m.limit} ${limit}: n/a, the controller reconnects until detached  [${m.rule}]`;
  const margin = m.marginSec === null ? 'none' : `${num(m.marginSec)} s`;
  return `${m.what} ${worst} vs ${m.limit} ${limit}: margin ${margin}, need ${num(m.requiredSec)} s: ${m.ok ? 'ok' : 'BROKEN'}  [${m.rule}]`;
}

function num(value: number): string {
  return String(Number(value.toFixed(3)));
}
