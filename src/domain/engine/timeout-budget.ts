/**
 * The timeout budget: the bdev_nvme timeouts an engine attaches its remote replicas with, checked
 * against the host's nvme timeouts, so that losing a replica degrades a volume and never fails it.
 *
 * The failure this prevents: the engine's raid1 waits for I/O to a lost member until SPDK fails
 * that I/O (fast_io_fail_timeout_sec) or deletes the controller (ctrlr_loss_timeout_sec). If that
 * takes as long as the host's own limits (both 30 s in the engine this service replaces), the
 * host's I/O times out first and the host gives up on the whole volume, though a healthy replica
 * was left. So the replica side must always finish first, by a margin.
 *
 * Pure functions, no I/O. Every time formula is in `lossTimes`, every rule in `checkBudget`.
 */
import { DEFAULT_TIMEOUTS } from '../../config/timeout-defaults.js';
import { ConductorError, ConfigError } from '../../errors.js';
import type { NvmeAttachControllerParams, NvmeSetOptionsParams } from '../../spdk/methods/nvme.js';

/** The host's side: `nvme connect` flags and the kernel's nvme_core io_timeout. */
export interface HostTimeouts {
  /** --ctrl-loss-tmo: how long the host reconnects to the engine before failing its device. */
  ctrlLossTmoSec: number;
  /** --reconnect-delay: the host's period between reconnects to the engine. */
  reconnectDelaySec: number;
  /** --keep-alive-tmo: the host's keep-alive to the engine. */
  keepAliveTmoSec: number;
  /** nvme_core's io_timeout: how long one I/O may wait before the host starts error recovery. */
  ioTimeoutSec: number;
}

/** The engine's side: how its bdev_nvme controllers to remote replicas behave on loss. */
export interface ReplicaTimeouts {
  reconnectDelaySec: number;
  /** 0 = I/O waits for the controller's deletion. */
  fastIoFailTimeoutSec: number;
  /** -1 = reconnect forever, 0 = never reconnect. */
  ctrlrLossTimeoutSec: number;
  /** 0 disables keep-alive, and with it the detection of a peer that vanished silently. */
  keepAliveTimeoutMs: number;
  /**
   * 0 = SPDK's default. Documented for RDMA (retransmission) and TCP (connection close); for TCP
   * SPDK v26.05 sets the socket's TCP_USER_TIMEOUT to 2^n ms. It can only detect a loss sooner
   * under I/O, never later, so the worst case below does not count on it.
   */
  transportAckTimeout: number;
}

export interface TimeoutBudget {
  host: HostTimeouts;
  replica: ReplicaTimeouts;
}

export interface BudgetOverride {
  host?: Partial<HostTimeouts>;
  replica?: Partial<ReplicaTimeouts>;
}

export type BudgetField = `host.${keyof HostTimeouts}` | `replica.${keyof ReplicaTimeouts}`;

export type RuleId =
  | `range.${BudgetField}`
  | 'spdk.ctrlr-loss-min'
  | 'spdk.no-reconnect-means-no-timeouts'
  | 'spdk.reconnect-delay-required'
  | 'spdk.reconnect-delay-within-ctrlr-loss'
  | 'spdk.fast-io-fail-within-ctrlr-loss'
  | 'spdk.reconnect-delay-within-fast-io-fail'
  | 'ours.keep-alive-required'
  | 'ours.forever-needs-fast-io-fail'
  | 'ours.io-failover-before-host-io-timeout'
  | 'ours.controller-gone-before-host-ctrl-loss'
  | 'ours.no-reconnect'
  | 'ours.ack-timeout-short'
  | 'host.reconnect-delay-within-ctrl-loss'
  | 'override.unknown-field';

export interface RuleViolation {
  rule: RuleId;
  /** Names the rule and the numbers that break it. */
  message: string;
}

export type TimelineKind = 'replica-lost' | 'loss-detected' | 'reconnect-attempt' | 'member-failed' | 'controller-deleted' | 'host-io-timeout' | 'host-ctrl-loss-tmo';

export interface TimelineEvent {
  /** Seconds after the replica was lost, worst case. */
  atSec: number;
  kind: TimelineKind;
  side: 'replica' | 'host';
  label: string;
}

/** How far one replica-side deadline stays inside the host limit it races. */
export interface BudgetMargin {
  rule: 'ours.io-failover-before-host-io-timeout' | 'ours.controller-gone-before-host-ctrl-loss';
  what: string;
  /** null: never happens. */
  worstCaseSec: number | null;
  limit: string;
  limitSec: number;
  /** limitSec − worstCaseSec; null when the replica side never gets there. */
  marginSec: number | null;
  requiredSec: number;
  applies: boolean;
  ok: boolean;
}

export interface BudgetVerdict {
  ok: boolean;
  violations: RuleViolation[];
  /** Allowed but worth knowing (e.g. no reconnect at all). */
  warnings: RuleViolation[];
  timeline: TimelineEvent[];
  margins: BudgetMargin[];
}

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
const UINT32_MAX = 4_294_967_295;

/**
 * What each value may be at all. Replica limits are the wire types of bdev_nvme_attach_controller
 * / set_options (a negative reconnect_delay_sec is a decode failure, -32603, in transcript 08;
 * ctrlr_loss < -1 is left to SPDK's own rule below); the ack timeout's 0-31 is its documented
 * range. Host limits are what src/host/nvme-cli.ts passes to `nvme connect`: whole seconds of at
 * least 1. That excludes ctrl-loss-tmo -1 (a host that never gives up on a dead engine hangs its
 * I/O for good) and keep-alive-tmo 0 (a dead engine noticed only through I/O timeouts).
 */
export const FIELD_LIMITS: Readonly<Record<BudgetField, { min: number; max: number }>> = {
  'host.ctrlLossTmoSec': { min: 1, max: INT32_MAX },
  'host.reconnectDelaySec': { min: 1, max: INT32_MAX },
  'host.keepAliveTmoSec': { min: 1, max: 4_294_967 },
  'host.ioTimeoutSec': { min: 1, max: UINT32_MAX },
  'replica.reconnectDelaySec': { min: 0, max: UINT32_MAX },
  'replica.fastIoFailTimeoutSec': { min: 0, max: UINT32_MAX },
  'replica.ctrlrLossTimeoutSec': { min: INT32_MIN, max: INT32_MAX },
  'replica.keepAliveTimeoutMs': { min: 0, max: UINT32_MAX },
  'replica.transportAckTimeout': { min: 0, max: 31 },
};

/** The default budget, a fresh copy; src/config/timeout-defaults.ts says why each number. */
export function defaultBudget(): TimeoutBudget {
  return { host: { ...DEFAULT_TIMEOUTS.host }, replica: { ...DEFAULT_TIMEOUTS.replica } };
}

/** How the replica was lost: `silent` (power loss, partition) is the worst case; `closed` (its port
 * refused or reset, as in transcripts 02 and 04) is detected at once. */
export type LossKind = 'silent' | 'closed';

export interface LossTimes {
  /** null: never detected (keep-alive off and the peer silent). */
  detectedSec: number | null;
  /** Nominal reconnect attempts after detection (SPDK retries every reconnect_delay_sec). */
  reconnectAttemptsSec: number[];
  /** True when attempts go on until the controller is detached (ctrlr_loss -1). */
  reconnectsForever: boolean;
  memberFailedSec: number | null;
  memberFailedBy: 'fast-io-fail' | 'controller-deleted' | 'no-reconnect' | 'never';
  /** The sum behind memberFailedSec, for messages. */
  memberFailedTerms: string;
  controllerDeletedSec: number | null;
  controllerDeletedTerms: string;
  /** The margin each replica deadline must keep from the host limit it races. */
  requiredMarginSec: number;
}

const MAX_LISTED_ATTEMPTS = 12;

/**
 * Every formula of the budget. Terms, in order:
 * - detection: a silent peer is noticed only when its keep-alive times out (keepAliveTimeoutMs);
 *   a peer whose port closes is noticed at once (transcripts 02/04: reconnect_is_delayed at once).
 * - fast_io_fail / ctrlr_loss: counted from detection, when the controller starts reconnecting.
 * - + one reconnect period: SPDK acts on these deadlines only at a reconnect tick, the first one
 *   after the deadline (transcript 04: fast_io_fail 5, member failed at +6.0 s with ticks every
 *   2 s), and the time an attempt takes shifts later ticks, so a whole period is the bound.
 * - with fast_io_fail 0, I/O waits for the controller's deletion; with ctrlr_loss 0 there is no
 *   reconnect and both happen on detection.
 * - margin: one reconnect period, the slack for one more tick than the model expects (a slow
 *   attempt, a poll that runs late). It is 0 only with ctrlr_loss 0, where SPDK forbids a period.
 * Host limits start with the I/O: the worst I/O is the one issued right at the loss.
 */
export function lossTimes(replica: ReplicaTimeouts, loss: LossKind = 'silent'): LossTimes {
  const { reconnectDelaySec: period, fastIoFailTimeoutSec: fastIoFail, ctrlrLossTimeoutSec: ctrlrLoss, keepAliveTimeoutMs } = replica;
  const detectedSec = loss === 'closed' ? 0 : keepAliveTimeoutMs > 0 ? keepAliveTimeoutMs / 1000 : null;
  const detectTerm = loss === 'closed' ? 'connection closed 0 s' : `keep-alive ${secs(keepAliveTimeoutMs / 1000)}`;
  const after = (sec: number | null): number | null => (detectedSec === null || sec === null ? null : detectedSec + sec);

  if (ctrlrLoss === 0) {
    const terms = `${detectTerm} (ctrlr_loss_timeout_sec 0: no reconnect)`;
    return {
      detectedSec,
      reconnectAttemptsSec: [],
      reconnectsForever: false,
      memberFailedSec: detectedSec,
      memberFailedBy: 'no-reconnect',
      memberFailedTerms: terms,
      controllerDeletedSec: detectedSec,
      controllerDeletedTerms: terms,
      requiredMarginSec: period,
    };
  }
  const controllerDeletedSec = ctrlrLoss > 0 ? after(ctrlrLoss + period) : null;
  const controllerDeletedTerms = `${detectTerm} + ctrlr_loss_timeout_sec ${secs(ctrlrLoss)} + reconnect_delay_sec ${secs(period)}`;
  let memberFailedSec: number | null;
  let memberFailedBy: LossTimes['memberFailedBy'];
  let memberFailedTerms: string;
  if (fastIoFail > 0) {
    memberFailedSec = minOf(after(fastIoFail + period), controllerDeletedSec);
    memberFailedBy = 'fast-io-fail';
    memberFailedTerms = `${detectTerm} + fast_io_fail_timeout_sec ${secs(fastIoFail)} + reconnect_delay_sec ${secs(period)}`;
  } else {
    memberFailedSec = controllerDeletedSec;
    memberFailedBy = controllerDeletedSec === null ? 'never' : 'controller-deleted';
    memberFailedTerms = `${controllerDeletedTerms}; fast_io_fail_timeout_sec 0, so I/O waits for the controller's deletion`;
  }
  if (detectedSec === null) memberFailedBy = 'never';

  const reconnectAttemptsSec: number[] = [];
  if (detectedSec !== null && period > 0) {
    for (let k = 1; k <= MAX_LISTED_ATTEMPTS && (ctrlrLoss === -1 || k * period < ctrlrLoss); k++) reconnectAttemptsSec.push(detectedSec + k * period);
  }
  return {
    detectedSec,
    reconnectAttemptsSec,
    reconnectsForever: ctrlrLoss === -1,
    memberFailedSec,
    memberFailedBy,
    memberFailedTerms,
    controllerDeletedSec,
    controllerDeletedTerms,
    requiredMarginSec: period,
  };
}

/** The subset of replica timeouts spdk_tgt itself validates on attach and set_options. */
export type SpdkTimeouts = Pick<ReplicaTimeouts, 'ctrlrLossTimeoutSec' | 'reconnectDelaySec' | 'fastIoFailTimeoutSec'>;

/**
 * spdk_tgt's own rules: every combination that breaks one is refused with -22 "Invalid argument"
 * (transcript 08, re-run against an un-attached subsystem so the duplicate-path check did not
 * mask them). Checked here so a bad budget never reaches spdk_tgt as an opaque -22.
 */
export function spdkRuleViolations(t: SpdkTimeouts): RuleViolation[] {
  const { ctrlrLossTimeoutSec: loss, reconnectDelaySec: delay, fastIoFailTimeoutSec: fail } = t;
  const out: RuleViolation[] = [];
  const refuse = (rule: RuleId, text: string): void => {
    out.push({ rule, message: `[${rule}] ${text} (spdk_tgt refuses it: -22 Invalid argument)` });
  };
  if (loss < -1) {
    refuse('spdk.ctrlr-loss-min', `ctrlr_loss_timeout_sec ${loss} must be -1 (forever), 0 (no reconnect) or positive`);
    return out;
  }
  if (loss === 0) {
    if (delay !== 0 || fail !== 0) {
      refuse('spdk.no-reconnect-means-no-timeouts', `ctrlr_loss_timeout_sec 0 needs reconnect_delay_sec 0 and fast_io_fail_timeout_sec 0, got ${delay} and ${fail}`);
    }
    return out;
  }
  if (delay === 0) refuse('spdk.reconnect-delay-required', `ctrlr_loss_timeout_sec ${loss} needs a non-zero reconnect_delay_sec`);
  if (loss > 0 && delay > loss) refuse('spdk.reconnect-delay-within-ctrlr-loss', `reconnect_delay_sec ${delay} must be ≤ ctrlr_loss_timeout_sec ${loss}`);
  if (loss > 0 && fail > loss) refuse('spdk.fast-io-fail-within-ctrlr-loss', `fast_io_fail_timeout_sec ${fail} must be ≤ ctrlr_loss_timeout_sec ${loss}`);
  if (fail !== 0 && delay > fail) refuse('spdk.reconnect-delay-within-fast-io-fail', `reconnect_delay_sec ${delay} must be ≤ fast_io_fail_timeout_sec ${fail}`);
  return out;
}

/** Every rule, its verdict, the worst-case timeline and the margins. */
export function checkBudget(budget: TimeoutBudget): BudgetVerdict {
  const { host, replica } = budget;
  const violations: RuleViolation[] = [];
  const warnings: RuleViolation[] = [];
  const fail = (rule: RuleId, text: string): void => {
    violations.push({ rule, message: `[${rule}] ${text}` });
  };

  let wholeNumbers = true;
  for (const [field, limit] of Object.entries(FIELD_LIMITS) as Array<[BudgetField, { min: number; max: number }]>) {
    const value = fieldValue(budget, field);
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      wholeNumbers = false;
      fail(`range.${field}`, `${field} must be a whole number, got ${JSON.stringify(value)}`);
    } else if (value < limit.min || value > limit.max) {
      fail(`range.${field}`, `${field} ${value} is outside ${limit.min}..${limit.max}`);
    }
  }
  // Nothing below means anything for a value that is not a number.
  if (!wholeNumbers) return { ok: false, violations, warnings, timeline: [], margins: [] };

  violations.push(...spdkRuleViolations(replica));

  const times = lossTimes(replica, 'silent');
  const margin = times.requiredMarginSec;
  const forever = replica.ctrlrLossTimeoutSec === -1;
  if (replica.keepAliveTimeoutMs === 0) {
    fail('ours.keep-alive-required', 'keep_alive_timeout_ms 0 disables keep-alive: a replica that vanishes without closing its connection is never detected, and I/O to it waits forever');
  }
  if (forever && replica.fastIoFailTimeoutSec === 0) {
    fail('ours.forever-needs-fast-io-fail', 'ctrlr_loss_timeout_sec -1 reconnects forever, so fast_io_fail_timeout_sec must be non-zero, else I/O to a lost member waits forever; got 0');
  }

  // (a) A lost member must be failed, and the raid1 go on, before any host I/O times out.
  const failover = raceMargin(times.memberFailedSec, host.ioTimeoutSec, margin);
  if (times.memberFailedSec !== null && !failover.ok) {
    fail(
      'ours.io-failover-before-host-io-timeout',
      `a lost replica's I/O fails over ${secs(times.memberFailedSec)} after the loss in the worst case (${times.memberFailedTerms}); ` +
        `with a margin of one reconnect period (${secs(margin)}) that is ${secs(times.memberFailedSec + margin)}, over the host's io_timeout ${secs(host.ioTimeoutSec)}`,
    );
  }
  // (b) The replica's controller must be given up before the host gives up on the engine.
  const giveUp = raceMargin(times.controllerDeletedSec, host.ctrlLossTmoSec, margin);
  if (times.controllerDeletedSec !== null && !giveUp.ok) {
    fail(
      'ours.controller-gone-before-host-ctrl-loss',
      `a lost replica's controller is deleted ${secs(times.controllerDeletedSec)} after the loss in the worst case (${times.controllerDeletedTerms}); ` +
        `with a margin of one reconnect period (${secs(margin)}) that is ${secs(times.controllerDeletedSec + margin)}, over the host's ctrl-loss-tmo ${secs(host.ctrlLossTmoSec)}`,
    );
  }

  if (host.reconnectDelaySec > host.ctrlLossTmoSec) {
    fail(
      'host.reconnect-delay-within-ctrl-loss',
      `the host's reconnect-delay ${secs(host.reconnectDelaySec)} must be ≤ its ctrl-loss-tmo ${secs(host.ctrlLossTmoSec)}: a longer one leaves at most one reconnect attempt`,
    );
  }

  if (replica.ctrlrLossTimeoutSec === 0) {
    warnings.push({
      rule: 'ours.no-reconnect',
      message: '[ours.no-reconnect] ctrlr_loss_timeout_sec 0 never reconnects: even a blip of a second fails the member at once, and bringing it back is a full rebuild',
    });
  }
  if (replica.transportAckTimeout > 0 && 2 ** replica.transportAckTimeout < 1000) {
    warnings.push({
      rule: 'ours.ack-timeout-short',
      message: `[ours.ack-timeout-short] transport_ack_timeout ${replica.transportAckTimeout} closes a TCP connection after ${2 ** replica.transportAckTimeout} ms of unacknowledged data: congestion that long would fail a healthy replica`,
    });
  }

  const margins: BudgetMargin[] = [
    {
      rule: 'ours.io-failover-before-host-io-timeout',
      what: 'member failed',
      worstCaseSec: times.memberFailedSec,
      limit: 'host io_timeout',
      limitSec: host.ioTimeoutSec,
      ...failover,
      applies: true,
    },
    {
      rule: 'ours.controller-gone-before-host-ctrl-loss',
      what: 'controller deleted',
      worstCaseSec: times.controllerDeletedSec,
      limit: 'host ctrl-loss-tmo',
      limitSec: host.ctrlLossTmoSec,
      ...giveUp,
      // With ctrlr_loss -1 the controller is never deleted and never needs to be: rule (a) covers I/O.
      applies: !forever,
      ok: forever || giveUp.ok,
    },
  ];
  return { ok: violations.length === 0, violations, warnings, timeline: buildTimeline(budget, times), margins };
}

function raceMargin(worstCaseSec: number | null, limitSec: number, requiredSec: number): { marginSec: number | null; requiredSec: number; ok: boolean } {
  if (worstCaseSec === null) return { marginSec: null, requiredSec, ok: false };
  const marginSec = limitSec - worstCaseSec;
  return { marginSec, requiredSec, ok: marginSec >= requiredSec };
}

/** The events of `lossTimes` in time order, for printing. */
export function buildTimeline(budget: TimeoutBudget, times: LossTimes = lossTimes(budget.replica)): TimelineEvent[] {
  const { host, replica } = budget;
  const events: TimelineEvent[] = [{ atSec: 0, kind: 'replica-lost', side: 'replica', label: 'replica lost; I/O to it starts waiting' }];
  if (times.detectedSec !== null) {
    events.push({
      atSec: times.detectedSec,
      kind: 'loss-detected',
      side: 'replica',
      label: times.detectedSec === 0 ? 'connection closed: loss detected at once' : `keep-alive timeout (${replica.keepAliveTimeoutMs} ms): loss detected, reconnects start`,
    });
  }
  times.reconnectAttemptsSec.forEach((atSec, i) => {
    const more = times.reconnectsForever && i === times.reconnectAttemptsSec.length - 1 ? `, then every ${secs(replica.reconnectDelaySec)} until detached` : '';
    events.push({ atSec, kind: 'reconnect-attempt', side: 'replica', label: `reconnect attempt ${i + 1}${more}` });
  });
  if (times.memberFailedSec !== null) {
    const by = {
      'fast-io-fail': `by fast_io_fail (${secs(replica.fastIoFailTimeoutSec)}) at the first reconnect tick after it`,
      'controller-deleted': "by the controller's deletion (fast_io_fail_timeout_sec 0)",
      'no-reconnect': 'at once (no reconnect)',
      never: '',
    }[times.memberFailedBy];
    events.push({ atSec: times.memberFailedSec, kind: 'member-failed', side: 'replica', label: `member failed ${by}; raid1 goes on without it (worst case)` });
  }
  if (times.controllerDeletedSec !== null) {
    events.push({
      atSec: times.controllerDeletedSec,
      kind: 'controller-deleted',
      side: 'replica',
      label: `controller and its bdev deleted (ctrlr_loss ${secs(replica.ctrlrLossTimeoutSec)} at the next tick; worst case)`,
    });
  }
  events.push({ atSec: host.ioTimeoutSec, kind: 'host-io-timeout', side: 'host', label: `host io_timeout (${secs(host.ioTimeoutSec)}): an I/O still waiting now fails the volume` });
  events.push({ atSec: host.ctrlLossTmoSec, kind: 'host-ctrl-loss-tmo', side: 'host', label: `host ctrl-loss-tmo (${secs(host.ctrlLossTmoSec)}): the host gives up on the engine` });
  // A stable sort: at equal times the replica's events, pushed first, stay first.
  return events.sort((a, b) => a.atSec - b.atSec);
}

/** The timeouts of bdev_nvme_attach_controller for a remote replica. */
export function replicaAttachParams(budget: TimeoutBudget): Required<Pick<NvmeAttachControllerParams, 'ctrlr_loss_timeout_sec' | 'reconnect_delay_sec' | 'fast_io_fail_timeout_sec'>> {
  const r = budget.replica;
  return { ctrlr_loss_timeout_sec: r.ctrlrLossTimeoutSec, reconnect_delay_sec: r.reconnectDelaySec, fast_io_fail_timeout_sec: r.fastIoFailTimeoutSec };
}

/**
 * bdev_nvme_set_options: module-wide defaults, which spdk_tgt takes only before the first
 * controller is attached. transport_ack_timeout is sent only when set: 0 means SPDK's default.
 */
export function nvmeSetOptions(
  budget: TimeoutBudget,
): Pick<NvmeSetOptionsParams, 'keep_alive_timeout_ms' | 'transport_ack_timeout' | 'ctrlr_loss_timeout_sec' | 'reconnect_delay_sec' | 'fast_io_fail_timeout_sec'> {
  const r = budget.replica;
  return {
    keep_alive_timeout_ms: r.keepAliveTimeoutMs,
    ...(r.transportAckTimeout > 0 ? { transport_ack_timeout: r.transportAckTimeout } : {}),
    ...replicaAttachParams(budget),
  };
}

/**
 * The `nvme connect` timeout flags, spelled as src/host/nvme-cli.ts's connectArgs spells them; its
 * ConnectParams take budget.host's three fields by the same names.
 */
export function hostConnectArgs(budget: TimeoutBudget): string[] {
  const h = budget.host;
  return ['--ctrl-loss-tmo', String(h.ctrlLossTmoSec), '--reconnect-delay', String(h.reconnectDelaySec), '--keep-alive-tmo', String(h.keepAliveTmoSec)];
}

/**
 * A budget that passes every rule, or an error naming each rule broken and its numbers:
 * INVALID_TIMEOUTS for a caller's override, a ConfigError (INVALID_CONFIG) for the service's config.
 */
export function requireSoundBudget(budget: TimeoutBudget, code: 'INVALID_TIMEOUTS' | 'INVALID_CONFIG'): BudgetVerdict {
  const verdict = checkBudget(budget);
  if (verdict.ok) return verdict;
  const text = verdict.violations.map((v) => v.message).join('; ');
  if (code === 'INVALID_CONFIG') throw new ConfigError('timeouts', `timeout budget refused: ${text}`);
  throw new ConductorError('INVALID_TIMEOUTS', `timeout override refused: ${text}`, { violations: verdict.violations });
}

const HOST_FIELDS: ReadonlyArray<keyof HostTimeouts> = ['ctrlLossTmoSec', 'reconnectDelaySec', 'keepAliveTmoSec', 'ioTimeoutSec'];
const REPLICA_FIELDS: ReadonlyArray<keyof ReplicaTimeouts> = ['reconnectDelaySec', 'fastIoFailTimeoutSec', 'ctrlrLossTimeoutSec', 'keepAliveTimeoutMs', 'transportAckTimeout'];

/** A per-engine override on top of `budget`, re-checked as a whole; unset fields keep their value. */
export function applyOverride(budget: TimeoutBudget, override: BudgetOverride): TimeoutBudget {
  const unknown = [
    ...Object.keys(override).filter((k) => k !== 'host' && k !== 'replica'),
    ...Object.keys(override.host ?? {})
      .filter((k) => !(HOST_FIELDS as readonly string[]).includes(k))
      .map((k) => `host.${k}`),
    ...Object.keys(override.replica ?? {})
      .filter((k) => !(REPLICA_FIELDS as readonly string[]).includes(k))
      .map((k) => `replica.${k}`),
  ];
  if (unknown.length > 0) {
    throw new ConductorError('INVALID_TIMEOUTS', `timeout override refused: [override.unknown-field] unknown field ${unknown.join(', ')}`, {
      violations: [{ rule: 'override.unknown-field', message: `unknown field ${unknown.join(', ')}` }],
    });
  }
  const merged: TimeoutBudget = { host: { ...budget.host, ...definedOnly(override.host) }, replica: { ...budget.replica, ...definedOnly(override.replica) } };
  requireSoundBudget(merged, 'INVALID_TIMEOUTS');
  return merged;
}

function definedOnly<T extends object>(partial: Partial<T> | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function fieldValue(budget: TimeoutBudget, field: BudgetField): unknown {
  const [side, name] = field.split('.') as ['host' | 'replica', string];
  return (budget[side] as unknown as Record<string, unknown> | undefined)?.[name];
}

function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

/** Seconds as printed: up to three decimals, no trailing zeros. */
export function secs(value: number): string {
  return `${Number(value.toFixed(3))} s`;
}
