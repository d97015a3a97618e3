/**
 * What the secret-handling tests look through: the service's own log lines (its logger, redaction
 * included, at debug, into memory) and every answer the backup API gave them.
 */
import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { invoke, type ApiClients } from '../../../src/api/client.js';
import type { BackupJob__Output } from '../../../src/api/generated/spdk/conductor/v1/BackupJob.js';
import type { BackupTarget } from '../../../src/api/generated/spdk/conductor/v1/BackupTarget.js';
import { createLogger } from '../../../src/log.js';

/** A debug logger whose lines land in `lines`. */
export function capturedLog(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination: sink }), lines };
}

/** Calls a backup API method and keeps its answer in `answers`. */
export function recordedBackups(api: () => ApiClients, answers: unknown[]) {
  return async <M extends keyof ApiClients['backups'] & string>(method: M, request: unknown): Promise<BackupJob__Output & BackupTarget> => {
    // biome-ignore lint/suspicious/noExplicitAny: the answers of several methods, kept to look for secrets
    const answer = await invoke(api().backups, method as any, request as any);
    answers.push(answer);
    return answer as BackupJob__Output & BackupTarget;
  };
}
