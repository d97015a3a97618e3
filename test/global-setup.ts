/**
 * One temporary root per test run, removed when the run ends: test/helpers/temp-dir.ts makes
 * every directory under it, so nothing is left in /tmp even when a worker is killed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'conductor-tests-'));
  process.env.CONDUCTOR_TEST_TMP = root;
  return () => fs.rmSync(root, { recursive: true, force: true });
}
