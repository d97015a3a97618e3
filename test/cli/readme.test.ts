/**
 * The README's reference tables stay complete: every configuration key with its environment
 * variable and flag, and every exit code the CLI uses. (The walkthrough itself is checked by
 * running it; its commands are covered by the CLI tests.)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { CONFIG_KEYS, envName, flagName } from '../../src/config/schema.js';

const README = readFileSync(path.resolve(fileURLToPath(import.meta.url), '../../../README.md'), 'utf8');
const rows = README.split('\n').filter((line) => line.startsWith('| '));

describe('README', () => {
  it.each(Object.keys(CONFIG_KEYS))('documents the config key %s with its environment variable and flag', (key) => {
    const row = rows.find((line) => line.startsWith(`| ${key} |`));
    expect(row, `no row for ${key} in the configuration table`).toBeDefined();
    expect(row).toContain(`${envName(key)} / --${flagName(key)}`);
  });

  it('documents every exit code', () => {
    for (const code of Object.values(EXIT))
      expect(
        rows.some((line) => line.startsWith(`| ${code} |`)),
        `exit code ${code}`,
      ).toBe(true);
  });

  it('keeps the two-command start and the CLI walkthrough', () => {
    expect(README).toContain('## Two commands');
    expect(README).toContain('npm ci && npm start');
    expect(README).toContain('## CLI walkthrough');
    // The walkthrough needs no socket flags: serve and the CLI share the same per-user default.
    expect(README).toMatch(/```sh\nnpm start\n```/);
    expect(README).toContain('spdk-conductor disk create');
  });
});
