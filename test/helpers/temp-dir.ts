/**
 * Temporary directories for tests, left nowhere: under the run's root (test/global-setup.ts
 * removes it when the run ends, also when a worker was killed), and removed at this process's
 * exit as well when a test file runs outside vitest's global setup.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made = new Set<string>();
let hooked = false;

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(process.env.CONDUCTOR_TEST_TMP ?? os.tmpdir(), prefix));
  made.add(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const d of made) fs.rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}
