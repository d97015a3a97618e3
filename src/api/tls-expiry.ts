/**
 * A certificate in use that is about to expire, or has: said in the log before it bites, and again
 * while it lasts. A certificate is checked when it is loaded (tls-files.ts refuses one already
 * expired), but one that expires while in use makes every new connection fail with nothing in the
 * service saying why.
 *
 * For one identity (a WatchedTls): at load and at each rotation it accepts, then every checkEveryMs
 * (an hour) and at the moments the state changes (the warning window opens, notAfter passes), the
 * leaf certificate in use is looked at: a warning while it expires within warnWithinMs
 * (api.tls.expiryWarnDays), an error once it has expired. Each line names the config key, the
 * file, the subject, the serial and notAfter; never the key.
 *
 * The timestamps Prometheus alerts on are the summaries' (metrics/node-metrics.ts reads them at a
 * scrape); this only logs.
 */
import type { Logger } from 'pino';
import type { TlsSummary } from './tls-files.js';
import type { WatchedTls } from './watched-tls.js';

export const DAY_MS = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;
/** setTimeout's longest delay; a later moment is reached in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** notAfter is the last valid second: expired from the second after it. */
const NOT_AFTER_SLACK_MS = 1_000;

export interface TlsExpiryOptions {
  /** Warn while the certificate expires within this long (0: no warning, only the error once it has expired). */
  warnWithinMs: number;
  /** How often the state is logged again while it lasts (default an hour). */
  checkEveryMs?: number;
}

/** What a check found; 'valid': nothing to say. */
export type ExpiryState = 'valid' | 'expiring' | 'expired';

export function expiryState(notAfterMs: number, nowMs: number, warnWithinMs: number): ExpiryState {
  if (nowMs > notAfterMs) return 'expired';
  return notAfterMs - nowMs <= warnWithinMs ? 'expiring' : 'valid';
}

export class TlsExpiryWatch {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly checkEveryMs: number;
  private loads = 0;
  private readonly onIdentity = (): void => void this.check(this.loads++ === 0 ? 'loaded' : 'rotated');

  constructor(
    private readonly tls: WatchedTls,
    private readonly log: Logger,
    private readonly options: TlsExpiryOptions,
  ) {
    this.checkEveryMs = options.checkEveryMs ?? HOUR_MS;
    // The identity listener hears the set in use now (on the next tick) and every set a rotation installs.
    tls.addIdentityCertificateListener(this.onIdentity);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.tls.removeIdentityCertificateListener(this.onIdentity);
  }

  /** Logs the certificate in use if it expires soon or has, and sets the next check. */
  check(reason: string, now = Date.now()): ExpiryState {
    if (this.closed) return 'valid';
    const summary = this.tls.summary;
    const notAfterMs = Date.parse(summary.validTo);
    const state = expiryState(notAfterMs, now, this.options.warnWithinMs);
    if (state !== 'valid') {
      const fields = { reason, ...certificateFields(this.tls, summary) };
      if (state === 'expired') {
        this.log.error(
          { ...fields, expiredForSec: Math.round((now - notAfterMs) / 1000) },
          'the certificate in use has expired: new TLS connections with it fail; install a valid one (the files are followed)',
        );
      } else {
        this.log.warn({ ...fields, expiresInSec: Math.round((notAfterMs - now) / 1000) }, 'the certificate in use expires soon: rotate it before notAfter');
      }
    }
    this.schedule(notAfterMs, now);
    return state;
  }

  /** The next check: in checkEveryMs, or sooner when the warning window opens or notAfter passes. */
  private schedule(notAfterMs: number, now: number): void {
    clearTimeout(this.timer);
    let at = now + this.checkEveryMs;
    const opens = notAfterMs - this.options.warnWithinMs;
    if (opens > now) at = Math.min(at, opens);
    else if (notAfterMs + NOT_AFTER_SLACK_MS > now) at = Math.min(at, notAfterMs + NOT_AFTER_SLACK_MS);
    this.timer = setTimeout(() => this.check('periodic check'), Math.min(MAX_TIMER_MS, Math.max(0, at - now)));
    this.timer.unref();
  }
}

function certificateFields(tls: WatchedTls, summary: TlsSummary): Record<string, string> {
  return { configKey: tls.files.cert.key, file: tls.files.cert.path, subject: summary.subject, serial: summary.serial, notAfter: summary.validTo };
}
