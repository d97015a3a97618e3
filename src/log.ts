/**
 * Structured logs: one root pino logger, one child per component (`component` field), secrets
 * censored wherever they appear in logged params (TLS PSKs, DH-HMAC-CHAP keys).
 */
import pino, { type Logger, type LevelWithSilent } from 'pino';

const SECRET_FIELDS = ['psk', 'dhchap_key', 'dhchap_ctrlr_key', 'key', 'secret', 'password', 'token'];

/** Paths at the depths where request params show up in our log lines. */
export const REDACT_PATHS = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `params.*.${f}`]);

export interface LogOptions {
  level?: LevelWithSilent;
  /** Where lines go (default stdout). */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LogOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'spdk-conductor' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

export function componentLogger(root: Logger, component: string): Logger {
  return root.child({ component });
}
