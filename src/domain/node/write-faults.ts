/**
 * Fault injection for the state-file tests, as kill-points.ts is for crashes: with
 * CONDUCTOR_STATE_WRITE_FAULT=<file>, every state-file write fails with the errno named in that
 * file (ENOSPC, EDQUOT, EROFS, ...) for as long as the file exists, so a test can fill the
 * "disk" and free it again while the service runs. Unset (always, outside tests), a write costs
 * one environment lookup.
 */
import { readFile } from 'node:fs/promises';

export async function injectedWriteFault(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const switchFile = env.CONDUCTOR_STATE_WRITE_FAULT;
  if (!switchFile) return;
  const errno = await readFile(switchFile, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
  if (!errno) return;
  throw Object.assign(new Error(`${errno}: injected state-file write fault`), { code: errno });
}
