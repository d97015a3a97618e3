/**
 * The timeout budget's default numbers. They live here, below both users, so that the config keys'
 * defaults (schema.ts) and the domain's defaultBudget() (src/domain/engine/timeout-budget.ts, which
 * holds the rules and formulas these satisfy) are the same numbers by construction.
 *
 * Replica: a reconnect every 2 s rides out a blip at the next tick (transcript 06: a 3 s loss came
 * back untouched); fast_io_fail 8 s gives a blip four attempts before the member is dropped, since
 * a dropped member costs a full rebuild; ctrlr_loss 15 s keeps trying a little past that, then
 * frees the controller well before the host could care; keep-alive 5 s (the kernel host's own
 * default, SPDK's is 10 s) bounds the detection of a peer that vanished without closing its
 * connection. Host: io_timeout 30 s is nvme_core's default; ctrl-loss-tmo 60 s outlasts an engine
 * restart yet surfaces a dead engine in a minute, not the kernel's ten; reconnect-delay 2 s and
 * keep-alive-tmo 5 s match the replica side.
 * Worst cases: member failed at 5 + 8 + 2 = 15 s, 15 s inside io_timeout 30 (2 s required);
 * controller deleted at 5 + 15 + 2 = 22 s, 38 s inside ctrl-loss-tmo 60 (2 s required).
 */
export const DEFAULT_TIMEOUTS = {
  host: { ctrlLossTmoSec: 60, reconnectDelaySec: 2, keepAliveTmoSec: 5, ioTimeoutSec: 30 },
  replica: { reconnectDelaySec: 2, fastIoFailTimeoutSec: 8, ctrlrLossTimeoutSec: 15, keepAliveTimeoutMs: 5000, transportAckTimeout: 0 },
} as const;
