/**
 * S3 credentials from two files, read again when either file changes: a Kubernetes Secret mounted
 * as files is rotated by swapping them in place, and a rotated key must reach the next request
 * without a BackupTargetSet or a restart (the old key is usually revoked soon after).
 *
 * The AWS SDK asks its credential provider again whenever the credentials it holds expire within
 * five minutes; these say they expire in just under that, so every signing asks, and the answer is
 * a stat of both files (no read) unless one changed. A file that cannot be read or is malformed
 * mid-swap keeps the credentials held (the request then fails or passes on its own merits) and is
 * read again at the next request; its content never reaches a message.
 */
import { stat, readFile } from 'node:fs/promises';

/** Just under the SDK's refresh window (EXPIRATION_MS in @smithy/core): held credentials are asked for again at every signing. */
const ASK_AGAIN_WITHIN_MS = 300_000 - 1_000;

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export type CredentialsProvider = () => Promise<Credentials & { expiration: Date }>;

/** Identifies a file's content without reading it: a swapped or rewritten file changes one of these. */
async function identity(file: string): Promise<string> {
  const s = await stat(file, { bigint: true });
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

/** One non-empty line, trimmed; undefined otherwise. */
function oneLine(text: string): string | undefined {
  const value = text.trim();
  return value === '' || /\s/.test(value) ? undefined : value;
}

/**
 * A provider over `idFile` and `secretFile`, starting from `initial` (read and checked when the
 * target was set). `onChange` is told, without the values, when new credentials were taken or a
 * changed file could not be used.
 */
export function fileCredentials(idFile: string, secretFile: string, initial: Credentials, onChange?: (event: { taken: boolean; reason: string }) => void): CredentialsProvider {
  let held = initial;
  /** The files' identity the held credentials were read at (unknown until the first request: read then). */
  let seen: string | undefined;
  /** The last identity that could not be used: told once, not at every request. */
  let refused: string | undefined;
  const answer = () => ({ ...held, expiration: new Date(Date.now() + ASK_AGAIN_WITHIN_MS) });
  const refuse = (at: string, reason: string) => {
    if (refused !== at) onChange?.({ taken: false, reason: `${reason}; the held credentials are used` });
    refused = at;
  };
  return async () => {
    let now: string;
    try {
      now = `${await identity(idFile)}|${await identity(secretFile)}`;
    } catch (err) {
      refuse(`stat ${(err as NodeJS.ErrnoException).code}`, `cannot stat the credential files (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return answer();
    }
    if (now === seen || now === refused) return answer();
    try {
      const [id, secret] = await Promise.all([readFile(idFile, 'utf8'), readFile(secretFile, 'utf8')]);
      const accessKeyId = oneLine(id);
      const secretAccessKey = oneLine(secret);
      if (accessKeyId === undefined || secretAccessKey === undefined) {
        refuse(now, 'a changed credential file does not hold one non-empty line');
        return answer();
      }
      const changed = accessKeyId !== held.accessKeyId || secretAccessKey !== held.secretAccessKey;
      held = { accessKeyId, secretAccessKey };
      seen = now;
      refused = undefined;
      if (changed) onChange?.({ taken: true, reason: 'the credential files changed; the new credentials are used from this request on' });
    } catch (err) {
      refuse(now, `cannot read a changed credential file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return answer();
  };
}
