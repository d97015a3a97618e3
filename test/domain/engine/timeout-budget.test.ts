/**
 * The timeout budget as a specification: spdk_tgt's own timeout rules, cross-checked against every
 * attach a real spdk_tgt answered (../shared/spdk), our rules at their boundaries, the production
 * configuration that failed volumes, and the worst-case timeline against the recorded timings.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { CONFIG_KEYS } from '../../../src/config/schema.js';
import { ConductorError, ConfigError } from '../../../src/errors.js';
import { budgetFromConfig } from '../../../src/domain/engine/timeout-budget-config.js';
import {
  FIELD_LIMITS,
  applyOverride,
  checkBudget,
  defaultBudget,
  hostConnectArgs,
  lossTimes,
  nvmeSetOptions,
  replicaAttachParams,
  requireSoundBudget,
  spdkRuleViolations,
  type ReplicaTimeouts,
  type TimeoutBudget,
} from '../../../src/domain/engine/timeout-budget.js';

const shared = path.resolve(fileURLToPath(import.meta.url), '../../../../../shared/spdk');

function budget(replica: Partial<ReplicaTimeouts> = {}, host: Partial<TimeoutBudget['host']> = {}): TimeoutBudget {
  const base = defaultBudget();
  return { host: { ...base.host, ...host }, replica: { ...base.replica, ...replica } };
}

function rules(b: TimeoutBudget): string[] {
  return checkBudget(b).violations.map((v) => v.rule);
}

function spdk(ctrlrLossTimeoutSec: number, reconnectDelaySec: number, fastIoFailTimeoutSec: number): string[] {
  return spdkRuleViolations({ ctrlrLossTimeoutSec, reconnectDelaySec, fastIoFailTimeoutSec }).map((v) => v.rule);
}

describe("spdk_tgt's own timeout rules", () => {
  it('fast_io_fail ≤ ctrlr_loss (when ctrlr_loss is positive)', () => {
    expect(spdk(10, 2, 15)).toEqual(['spdk.fast-io-fail-within-ctrlr-loss']);
    expect(spdk(10, 2, 10)).toEqual([]);
    expect(spdk(-1, 2, 500)).toEqual([]);
  });
  it('reconnect_delay ≠ 0 when ctrlr_loss ≠ 0', () => {
    expect(spdk(10, 0, 0)).toEqual(['spdk.reconnect-delay-required']);
    expect(spdk(-1, 0, 0)).toEqual(['spdk.reconnect-delay-required']);
  });
  it('reconnect_delay ≤ ctrlr_loss (when ctrlr_loss is positive)', () => {
    expect(spdk(10, 20, 0)).toEqual(['spdk.reconnect-delay-within-ctrlr-loss']);
    expect(spdk(10, 10, 0)).toEqual([]);
    expect(spdk(-1, 20, 0)).toEqual([]);
  });
  it('reconnect_delay ≤ fast_io_fail when fast_io_fail is non-zero', () => {
    expect(spdk(10, 2, 1)).toEqual(['spdk.reconnect-delay-within-fast-io-fail']);
    expect(spdk(-1, 5, 2)).toEqual(['spdk.reconnect-delay-within-fast-io-fail']);
    expect(spdk(10, 2, 2)).toEqual([]);
  });
  it('ctrlr_loss ≥ -1', () => {
    expect(spdk(-2, 2, 0)).toEqual(['spdk.ctrlr-loss-min']);
  });
  it('ctrlr_loss 0 ⇒ reconnect_delay 0 and fast_io_fail 0', () => {
    expect(spdk(0, 2, 0)).toEqual(['spdk.no-reconnect-means-no-timeouts']);
    expect(spdk(0, 0, 5)).toEqual(['spdk.no-reconnect-means-no-timeouts']);
    expect(spdk(0, 0, 0)).toEqual([]);
  });
  it('names the rule and the numbers, and the -22 spdk_tgt would answer', () => {
    const [v] = spdkRuleViolations({ ctrlrLossTimeoutSec: 10, reconnectDelaySec: 2, fastIoFailTimeoutSec: 15 });
    expect(v?.message).toBe('[spdk.fast-io-fail-within-ctrlr-loss] fast_io_fail_timeout_sec 15 must be ≤ ctrlr_loss_timeout_sec 10 (spdk_tgt refuses it: -22 Invalid argument)');
  });
});

// ---------------------------------------------------------------------------------------------
// every attach spdk_tgt answered

interface AttachCase {
  source: string;
  label: string;
  params: Record<string, unknown>;
  /** 'ok' or the JSON-RPC error code. */
  outcome: 'ok' | number;
}

const TIMEOUT_PARAMS = ['ctrlr_loss_timeout_sec', 'reconnect_delay_sec', 'fast_io_fail_timeout_sec'] as const;

function transcriptAttaches(): AttachCase[] {
  const out: AttachCase[] = [];
  for (const file of readdirSync(path.join(shared, 'transcripts')).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(path.join(shared, 'transcripts', file), 'utf8').split('\n')) {
      if (!line.includes('bdev_nvme_attach_controller')) continue;
      const rec = JSON.parse(line) as { method: string | null; params: Record<string, unknown> | null; note?: string; response: { error?: { code: number } } | null };
      if (rec.method !== 'bdev_nvme_attach_controller' || !rec.response) continue;
      out.push({ source: file, label: rec.note ?? String(rec.params?.['name']), params: rec.params ?? {}, outcome: rec.response.error?.code ?? 'ok' });
    }
  }
  return out;
}

function errorsTableAttaches(): AttachCase[] {
  const rows = JSON.parse(readFileSync(path.join(shared, 'errors-table.json'), 'utf8')) as Array<[string, string, string, string]>;
  return rows
    .filter((row) => row[2] === 'bdev_nvme_attach_controller')
    .map(([label, , , verdict]) => {
      const json = /\{.*\}$/.exec(label)?.[0];
      const code = /^ERROR code=(-?\d+)/.exec(verdict)?.[1];
      return { source: 'errors-table.json', label, params: json ? (JSON.parse(json) as Record<string, unknown>) : {}, outcome: code === undefined ? 'ok' : Number(code) };
    });
}

/**
 * An attach that omits a timeout takes the module default, 0 for all three: no transcript sets
 * them (framework_get_config in 01/14 shows bdev_nvme_set_options with 0/0/0).
 */
function timeoutsOf(params: Record<string, unknown>): Record<(typeof TIMEOUT_PARAMS)[number], unknown> {
  return Object.fromEntries(TIMEOUT_PARAMS.map((p) => [p, params[p] ?? 0])) as Record<(typeof TIMEOUT_PARAMS)[number], unknown>;
}

function ourSpdkVerdict(params: Record<string, unknown>): 'refused' | 'accepted' {
  const t = timeoutsOf(params);
  const violations = spdkRuleViolations({
    ctrlrLossTimeoutSec: t.ctrlr_loss_timeout_sec as number,
    reconnectDelaySec: t.reconnect_delay_sec as number,
    fastIoFailTimeoutSec: t.fast_io_fail_timeout_sec as number,
  });
  return violations.length > 0 ? 'refused' : 'accepted';
}

const hasTimeouts = (c: AttachCase): boolean => TIMEOUT_PARAMS.some((p) => p in c.params);
const sameTimeouts = (a: AttachCase, b: AttachCase): boolean => TIMEOUT_PARAMS.every((p) => a.params[p] === b.params[p]);

/** Attaches whose timeouts spdk_tgt never looked at: a duplicate name or path was refused first. */
const MASKED = [
  '08-errors.jsonl: attach controller with existing name r3 (same trid) (-114)',
  '08-errors.jsonl: attach controller with existing name r3 (different subnqn) (-114)',
  '08-errors.jsonl: attach controller new name, same trid as r3 (-17)',
  '08-errors.jsonl: fast_io_fail 15 > ctrlr_loss 10 (-17)',
  '08-errors.jsonl: reconnect_delay 0 with ctrlr_loss 10 (-17)',
  '08-errors.jsonl: reconnect_delay 20 > ctrlr_loss 10 (-17)',
  '08-errors.jsonl: ctrlr_loss 0 with reconnect_delay 2 (-17)',
  '08-errors.jsonl: ctrlr_loss 0 with fast_io_fail 5 (-17)',
  '08-errors.jsonl: ctrlr_loss -2 (-17)',
  '08-errors.jsonl: ctrlr_loss -1 (infinite) with reconnect_delay 2 (valid?) (-17)',
  '08-errors.jsonl: ctrlr_loss -1 with reconnect_delay 0 (-17)',
  '08-errors.jsonl: fast_io_fail 5 with ctrlr_loss -1, delay 2 (valid?) (-17)',
  '08-errors.jsonl: fast_io_fail 1 < reconnect_delay 2, ctrlr_loss 10 (-17)',
  '08-errors.jsonl: fast_io_fail == ctrlr_loss == 10, delay 2 (valid?) (-17)',
  '08-errors.jsonl: reconnect_delay == ctrlr_loss == 10 (valid?) (-17)',
  '08-errors.jsonl: only reconnect_delay 2 (ctrlr_loss default 0) (-17)',
  '08-errors.jsonl: ctrlr_loss 10 without reconnect_delay (-17)',
  '14-memory-exhaustion.jsonl: different name, same trid, same (default) hostnqn (-17)',
  // c0 (same trid and hostnqn, attached at 18:65) is still there: the path check runs before the timeouts and the keyring lookup.
  '18-dhchap-and-tls-psk.jsonl: key0 was removed from both keyrings (c0 with the same hostnqn is still attached) (-17)',
  'errors-table.json: attach controller with existing name r3 (same trid) (-114)',
  'errors-table.json: attach controller with existing name r3 (different subnqn) (-114)',
  'errors-table.json: attach controller new name, same trid as r3 (-17)',
];

describe('the SPDK rules agree with every attach a real spdk_tgt answered', () => {
  const all = [...transcriptAttaches(), ...errorsTableAttaches()];

  it('found the recorded cases', () => {
    expect(all.filter((c) => c.source.startsWith('08')).length).toBe(39);
    expect(all.filter((c) => c.source === 'errors-table.json').length).toBe(25);
    expect(all.filter((c) => c.outcome === -22).length).toBe(2 * 11);
  });

  it('refuses exactly what spdk_tgt refused with -22 and accepts what it attached', () => {
    for (const c of all.filter((x) => x.outcome === 'ok' || x.outcome === -22)) {
      expect({ case: `${c.source}: ${c.label}`, verdict: ourSpdkVerdict(c.params) }).toEqual({
        case: `${c.source}: ${c.label}`,
        verdict: c.outcome === -22 ? 'refused' : 'accepted',
      });
    }
  });

  it('lists the cases masked by the duplicate checks, and agrees with their unmasked re-runs', () => {
    const masked = all
      .filter((c) => c.outcome === -17 || c.outcome === -114)
      .map((c) => ({
        ...c,
        reason: c.outcome === -114 ? 'duplicate controller name (-114) is checked before the timeouts' : 'duplicate network path (-17 File exists) is checked before the timeouts',
      }));
    expect(masked.map((m) => `${m.source}: ${m.label} (${m.outcome})`)).toEqual(MASKED);
    for (const m of masked) expect(m.reason).toMatch(/is checked before the timeouts/);
    // 08 re-ran each masked timeout combination against an un-attached subsystem.
    const rerun = all.filter((c) => c.source.startsWith('08') && (c.outcome === 'ok' || c.outcome === -22));
    const withTimeouts = masked.filter(hasTimeouts);
    expect(withTimeouts.length).toBe(14);
    for (const m of withTimeouts) {
      const twin = rerun.find((r) => sameTimeouts(r, m));
      expect(twin, m.label).toBeDefined();
      expect(ourSpdkVerdict(m.params), m.label).toBe(twin!.outcome === -22 ? 'refused' : 'accepted');
    }
    // Those without timeouts use the defaults 0/0/0, which are valid.
    for (const m of masked.filter((x) => !hasTimeouts(x))) expect(ourSpdkVerdict(m.params)).toBe('accepted');
  });

  it('leaves decode failures of timeout values to the type and range checks', () => {
    // 08's string and negative values; errors-table.json's string row carries no params in its label.
    const decode = all.filter((c) => c.outcome === -32603 && hasTimeouts(c));
    expect(decode.length).toBe(3);
    for (const c of decode) {
      const t = timeoutsOf(c.params);
      const b = budget({
        ctrlrLossTimeoutSec: t.ctrlr_loss_timeout_sec as number,
        reconnectDelaySec: t.reconnect_delay_sec as number,
        fastIoFailTimeoutSec: t.fast_io_fail_timeout_sec as number,
      });
      const found = rules(b);
      // "10" as a string, or a negative reconnect_delay_sec: both are not what the wire type holds.
      expect(
        found.some((r) => r === 'range.replica.ctrlrLossTimeoutSec' || r === 'range.replica.reconnectDelaySec'),
        c.label,
      ).toBe(true);
    }
  });

  it('passes attaches refused for reasons other than timeouts (no listener, bad trtype, missing traddr)', () => {
    const other = all.filter((c) => (c.outcome === -5 || c.outcome === -19 || c.outcome === -32603) && !hasTimeouts(c));
    expect(other.length).toBeGreaterThan(0);
    for (const c of other) expect(ourSpdkVerdict(c.params), c.label).toBe('accepted');
  });
});

// ---------------------------------------------------------------------------------------------
// our rules

describe('our rules: a lost replica degrades a volume, never fails it', () => {
  it('the default budget passes with 15 s and 38 s margins', () => {
    const verdict = checkBudget(defaultBudget());
    expect(verdict.ok).toBe(true);
    expect(verdict.warnings).toEqual([]);
    expect(verdict.margins.map((m) => [m.rule, m.worstCaseSec, m.limitSec, m.marginSec, m.requiredSec, m.ok])).toEqual([
      ['ours.io-failover-before-host-io-timeout', 15, 30, 15, 2, true],
      ['ours.controller-gone-before-host-ctrl-loss', 22, 60, 38, 2, true],
    ]);
  });

  it('(a) member failover + one reconnect period must fit in the host io_timeout: 17 s passes, 16 s does not', () => {
    expect(rules(budget({}, { ioTimeoutSec: 17 }))).toEqual([]);
    const verdict = checkBudget(budget({}, { ioTimeoutSec: 16 }));
    expect(verdict.violations.map((v) => v.rule)).toEqual(['ours.io-failover-before-host-io-timeout']);
    expect(verdict.violations[0]?.message).toBe(
      "[ours.io-failover-before-host-io-timeout] a lost replica's I/O fails over 15 s after the loss in the worst case " +
        '(keep-alive 5 s + fast_io_fail_timeout_sec 8 s + reconnect_delay_sec 2 s); with a margin of one reconnect period (2 s) that is 17 s, ' +
        "over the host's io_timeout 16 s",
    );
  });

  it('(a) counts keep-alive detection in ms and fast_io_fail 0 as waiting for the controller deletion', () => {
    expect(rules(budget({ keepAliveTimeoutMs: 5500 }, { ioTimeoutSec: 17 }))).toEqual(['ours.io-failover-before-host-io-timeout']);
    expect(rules(budget({ keepAliveTimeoutMs: 5500 }, { ioTimeoutSec: 18 }))).toEqual([]);
    // fast_io_fail 0: fails over when the controller goes, 5 + 15 + 2 = 22 s, + 2 ≤ 24.
    expect(rules(budget({ fastIoFailTimeoutSec: 0 }, { ioTimeoutSec: 24 }))).toEqual([]);
    expect(rules(budget({ fastIoFailTimeoutSec: 0 }, { ioTimeoutSec: 23 }))).toEqual(['ours.io-failover-before-host-io-timeout']);
  });

  it('(b) controller deletion + one reconnect period must fit in the host ctrl-loss-tmo: 24 s passes, 23 s does not', () => {
    expect(rules(budget({}, { ctrlLossTmoSec: 24 }))).toEqual([]);
    const verdict = checkBudget(budget({}, { ctrlLossTmoSec: 23 }));
    expect(verdict.violations.map((v) => v.rule)).toEqual(['ours.controller-gone-before-host-ctrl-loss']);
    expect(verdict.violations[0]?.message).toMatch(/deleted 22 s .*ctrlr_loss_timeout_sec 15 s.* that is 24 s, over the host's ctrl-loss-tmo 23 s$/);
  });

  it('(c) ctrlr_loss -1 needs fast_io_fail, and then only rule (a) applies', () => {
    expect(rules(budget({ ctrlrLossTimeoutSec: -1, fastIoFailTimeoutSec: 0 }))).toEqual(['ours.forever-needs-fast-io-fail']);
    const forever = checkBudget(budget({ ctrlrLossTimeoutSec: -1 }));
    expect(forever.ok).toBe(true);
    expect(forever.margins[1]).toMatchObject({ worstCaseSec: null, applies: false, ok: true });
    expect(rules(budget({ ctrlrLossTimeoutSec: -1 }, { ioTimeoutSec: 16 }))).toEqual(['ours.io-failover-before-host-io-timeout']);
  });

  it('(d) ctrlr_loss 0 is allowed with a warning: a blip fails the member at once', () => {
    const verdict = checkBudget(budget({ ctrlrLossTimeoutSec: 0, reconnectDelaySec: 0, fastIoFailTimeoutSec: 0 }));
    expect(verdict.ok).toBe(true);
    expect(verdict.warnings.map((w) => w.rule)).toEqual(['ours.no-reconnect']);
    expect(lossTimes(budget({ ctrlrLossTimeoutSec: 0, reconnectDelaySec: 0, fastIoFailTimeoutSec: 0 }).replica)).toMatchObject({
      memberFailedSec: 5,
      controllerDeletedSec: 5,
      reconnectAttemptsSec: [],
    });
  });

  it("refuses a host reconnect-delay longer than the host's ctrl-loss-tmo", () => {
    expect(rules(budget({}, { reconnectDelaySec: 60 }))).toEqual([]);
    const [v] = checkBudget(budget({}, { reconnectDelaySec: 61 })).violations;
    expect(v?.message).toBe("[host.reconnect-delay-within-ctrl-loss] the host's reconnect-delay 61 s must be ≤ its ctrl-loss-tmo 60 s: a longer one leaves at most one reconnect attempt");
  });

  it('refuses keep-alive 0: a silently vanished replica would never be detected', () => {
    expect(rules(budget({ keepAliveTimeoutMs: 0 }))).toEqual(['ours.keep-alive-required']);
  });

  it('warns about an ack timeout under a second (TCP closes after 2^n ms unacknowledged)', () => {
    expect(checkBudget(budget({ transportAckTimeout: 9 })).warnings.map((w) => w.rule)).toEqual(['ours.ack-timeout-short']);
    expect(checkBudget(budget({ transportAckTimeout: 10 })).warnings).toEqual([]);
  });

  it('refuses values outside what the wire or the kernel takes, naming the field', () => {
    expect(rules(budget({ reconnectDelaySec: -1 }))).toContain('range.replica.reconnectDelaySec');
    expect(rules(budget({ transportAckTimeout: 32 }))).toEqual(['range.replica.transportAckTimeout']);
    expect(rules(budget({}, { reconnectDelaySec: 0 }))).toEqual(['range.host.reconnectDelaySec']);
    // What src/host/nvme-cli.ts passes to nvme connect: whole seconds of at least 1.
    expect(rules(budget({}, { ctrlLossTmoSec: -1 }))).toContain('range.host.ctrlLossTmoSec');
    expect(rules(budget({}, { keepAliveTmoSec: 0 }))).toEqual(['range.host.keepAliveTmoSec']);
    const verdict = checkBudget(budget({ fastIoFailTimeoutSec: 1.5 }));
    expect(verdict).toMatchObject({ ok: false, timeline: [], margins: [] });
    expect(verdict.violations[0]?.message).toBe('[range.replica.fastIoFailTimeoutSec] replica.fastIoFailTimeoutSec must be a whole number, got 1.5');
  });
});

describe('the production configuration that failed volumes (SPDK 30 s, host 30 s)', () => {
  const production = budget({ ctrlrLossTimeoutSec: 30, fastIoFailTimeoutSec: 0, keepAliveTimeoutMs: 10_000 }, { ctrlLossTmoSec: 30, ioTimeoutSec: 30 });

  it('is refused by both rules, each message naming both 30s', () => {
    const verdict = checkBudget(production);
    expect(verdict.violations.map((v) => v.rule)).toEqual(['ours.io-failover-before-host-io-timeout', 'ours.controller-gone-before-host-ctrl-loss']);
    expect(verdict.violations[0]?.message).toMatch(/ctrlr_loss_timeout_sec 30 s.*io_timeout 30 s/);
    expect(verdict.violations[1]?.message).toMatch(/ctrlr_loss_timeout_sec 30 s.*ctrl-loss-tmo 30 s/);
  });

  it('is refused with fast_io_fail 30 too, which spdk_tgt itself accepts', () => {
    expect(spdk(30, 2, 30)).toEqual([]);
    expect(rules({ ...production, replica: { ...production.replica, fastIoFailTimeoutSec: 30 } })).toEqual(['ours.io-failover-before-host-io-timeout', 'ours.controller-gone-before-host-ctrl-loss']);
  });

  it('stops the service as a configuration error unless unsafeSkipCheck', () => {
    expect(() => requireSoundBudget(production, 'INVALID_CONFIG')).toThrow(ConfigError);
    const env = {
      CONDUCTOR_TIMEOUTS_REPLICA_CTRLR_LOSS_TIMEOUT_SEC: '30',
      CONDUCTOR_TIMEOUTS_REPLICA_FAST_IO_FAIL_TIMEOUT_SEC: '0',
      CONDUCTOR_TIMEOUTS_REPLICA_KEEP_ALIVE_TIMEOUT_MS: '10000',
      CONDUCTOR_TIMEOUTS_HOST_CTRL_LOSS_TMO_SEC: '30',
    };
    let err: unknown;
    try {
      budgetFromConfig(loadConfig({ env }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('INVALID_CONFIG');
    expect((err as Error).message).toMatch(/^config timeouts: timeout budget refused: \[ours\.io-failover-before-host-io-timeout\].*30 s.*\[ours\.controller-gone-before-host-ctrl-loss\]/);

    const warnings: Array<{ details: unknown; message: string }> = [];
    const log = { warn: (details: unknown, message: string) => warnings.push({ details, message }) };
    const unsafe = budgetFromConfig(loadConfig({ env: { ...env, CONDUCTOR_TIMEOUTS_UNSAFE_SKIP_CHECK: 'true' } }), undefined, log as never);
    expect(unsafe).toEqual(production);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/^UNSAFE: timeouts\.unsafeSkipCheck/);
  });
});

describe('the worst-case timeline against the recorded replica losses (10/2/5)', () => {
  const recorded = budget({ ctrlrLossTimeoutSec: 10, reconnectDelaySec: 2, fastIoFailTimeoutSec: 5 });

  /** Seconds after the loss of the first poll showing `changed`, and of the last one before it. */
  function observed(file: string, method: string, changed: (result: unknown) => boolean): { lastBefore: number; firstAfter: number } {
    const lines = readFileSync(path.join(shared, 'transcripts', file), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { method: string | null; t_ms: number; response: { result?: unknown } | null });
    const loss = lines.find((l) => l.method === 'nvmf_delete_subsystem')!.t_ms;
    const polls = lines.filter((l) => l.method === method && l.t_ms > loss);
    const i = polls.findIndex((p) => changed(p.response?.result));
    return { lastBefore: (polls[i - 1]!.t_ms - loss) / 1000, firstAfter: (polls[i]!.t_ms - loss) / 1000 };
  }
  const memberFailed = (r: unknown): boolean => (r as Array<{ num_base_bdevs_operational: number }>)[0]!.num_base_bdevs_operational === 1;
  const controllerGone = (r: unknown): boolean => Array.isArray(r) && r.length === 0;

  it('bounds a closed connection at +7 s member failed and +12 s controller gone', () => {
    const times = lossTimes(recorded.replica, 'closed');
    expect(times).toMatchObject({ detectedSec: 0, memberFailedSec: 7, memberFailedBy: 'fast-io-fail', controllerDeletedSec: 12, reconnectAttemptsSec: [2, 4, 6, 8] });
  });

  it('holds the recorded times within one reconnect period of the bounds', () => {
    const times = lossTimes(recorded.replica, 'closed');
    const failed = observed('04-replica-loss-under-io.jsonl', 'bdev_raid_get_bdevs', memberFailed);
    expect(failed.firstAfter).toBeLessThanOrEqual(times.memberFailedSec!);
    expect(failed.lastBefore).toBeGreaterThanOrEqual(times.memberFailedSec! - 2);
    for (const file of ['02-replica-loss-idle.jsonl', '04-replica-loss-under-io.jsonl']) {
      const gone = observed(file, 'bdev_nvme_get_controllers', controllerGone);
      expect(gone.firstAfter, file).toBeLessThanOrEqual(times.controllerDeletedSec!);
      expect(gone.lastBefore, file).toBeGreaterThanOrEqual(times.controllerDeletedSec! - 2);
    }
  });

  it('adds keep-alive detection for a silent loss and orders the events', () => {
    const verdict = checkBudget({ ...recorded, replica: { ...recorded.replica, keepAliveTimeoutMs: 10_000 } });
    expect(verdict.timeline.map((e) => [e.atSec, e.kind])).toEqual([
      [0, 'replica-lost'],
      [10, 'loss-detected'],
      [12, 'reconnect-attempt'],
      [14, 'reconnect-attempt'],
      [16, 'reconnect-attempt'],
      [17, 'member-failed'],
      [18, 'reconnect-attempt'],
      [22, 'controller-deleted'],
      [30, 'host-io-timeout'],
      [60, 'host-ctrl-loss-tmo'],
    ]);
  });
});

describe('overrides', () => {
  it('apply a partial override and re-check the whole budget', () => {
    const base = defaultBudget();
    const next = applyOverride(base, { replica: { fastIoFailTimeoutSec: 6, ctrlrLossTimeoutSec: undefined } });
    expect(next.replica).toEqual({ ...base.replica, fastIoFailTimeoutSec: 6 });
    expect(base).toEqual(defaultBudget());
  });

  it('refuse a breaking override with INVALID_ARGUMENT naming the rule and the numbers', () => {
    let err: unknown;
    try {
      applyOverride(defaultBudget(), { replica: { fastIoFailTimeoutSec: 20 } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConductorError);
    expect((err as ConductorError).code).toBe('INVALID_TIMEOUTS');
    expect((err as Error).message).toMatch(/\[spdk\.fast-io-fail-within-ctrlr-loss\] fast_io_fail_timeout_sec 20 must be ≤ ctrlr_loss_timeout_sec 15/);
    expect(() => applyOverride(defaultBudget(), { replica: { fastIoFailTimeoutSec: 14 }, host: { ioTimeoutSec: 20 } })).toThrow(
      /\[ours\.io-failover-before-host-io-timeout\] a lost replica's I\/O fails over 21 s .* that is 23 s, over the host's io_timeout 20 s/,
    );
  });

  it('refuse unknown fields', () => {
    expect(() => applyOverride(defaultBudget(), { replica: { fastIoFail: 6 } as never })).toThrow(/\[override\.unknown-field\] unknown field replica\.fastIoFail/);
  });
});

describe('what the budget turns into', () => {
  it('attach params, set_options params and nvme connect flags', () => {
    const b = defaultBudget();
    expect(replicaAttachParams(b)).toEqual({ ctrlr_loss_timeout_sec: 15, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 8 });
    expect(nvmeSetOptions(b)).toEqual({ keep_alive_timeout_ms: 5000, ctrlr_loss_timeout_sec: 15, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 8 });
    expect(nvmeSetOptions(budget({ transportAckTimeout: 13 }))).toMatchObject({ transport_ack_timeout: 13 });
    expect(hostConnectArgs(budget({}, { ctrlLossTmoSec: 90 }))).toEqual(['--ctrl-loss-tmo', '90', '--reconnect-delay', '2', '--keep-alive-tmo', '5']);
  });

  it('the config keys default to defaultBudget() and stay within the field limits', () => {
    expect(budgetFromConfig(loadConfig())).toEqual(defaultBudget());
    expect(budgetFromConfig(loadConfig(), 45).host.ioTimeoutSec).toBe(45);
    for (const [field, limit] of Object.entries(FIELD_LIMITS)) {
      const spec = CONFIG_KEYS[`timeouts.${field}` as keyof typeof CONFIG_KEYS] as { min?: number; max?: number };
      expect(spec.min, field).toBeGreaterThanOrEqual(limit.min);
      expect(spec.max, field).toBeLessThanOrEqual(limit.max);
    }
  });
});
