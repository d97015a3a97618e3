/** spdk-conductor's own version, as package.json states it (read once at load). */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  // src/version.ts (vitest) and dist/src/version.js (built) both find package.json by walking up.
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'spdk-conductor' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return 'unknown';
}

export const CONDUCTOR_VERSION = readVersion();
