/**
 * The image, `npm start` and the benchmarks run `serve` with the same node flags and malloc
 * setting (scripts/lib/serve-node-flags.ts): a figure measured by bench:scale is the image's.
 * Every flag is one this node accepts.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SERVE_ENV, SERVE_NODE_FLAGS } from '../../scripts/lib/serve-node-flags.js';

const run = promisify(execFile);
const read = (file: string): string => fs.readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

describe("serve's node flags", () => {
  it("the Dockerfile's ENTRYPOINT runs node with them, and its ENV sets the malloc arenas", () => {
    const dockerfile = read('Dockerfile');
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    const node = entrypoint.indexOf('node');
    const script = entrypoint.indexOf('/app/dist/src/cli/bin.js');
    expect(node).toBeGreaterThan(-1);
    expect(entrypoint.slice(node + 1, script)).toEqual(SERVE_NODE_FLAGS);
    for (const [name, value] of Object.entries(SERVE_ENV)) expect(dockerfile).toMatch(new RegExp(`^\\s+${name}=${value}\\b`, 'm'));
  });

  it('npm start and bench:backup run node with them', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const env = Object.entries(SERVE_ENV)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ');
    expect(scripts['start']).toContain(`${env} node ${SERVE_NODE_FLAGS.join(' ')} dist/src/cli/bin.js serve`);
    expect(scripts['bench:backup']).toContain(`${env} node ${SERVE_NODE_FLAGS.join(' ')} dist/scripts/bench-backup.js`);
  });

  it('node accepts each of them', async () => {
    const { stdout } = await run(process.execPath, [...SERVE_NODE_FLAGS, '-e', 'process.stdout.write("ok")']);
    expect(stdout).toBe('ok');
  });
});
