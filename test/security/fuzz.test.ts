/**
 * Issue 11, "Done when": the API fuzzer (scripts/fuzz-api.ts) run against a real service on the
 * simulator with a fixed seed, so that a red run means a change in the code and never the luck of
 * the draw. It must find no crash, no INTERNAL or UNKNOWN for bad input, and no change in spdk_tgt
 * after a refused request; and it must have reached every RPC of the API.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { loadProtos, PACKAGE } from '../../src/api/proto.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';

const FUZZ = path.resolve(fileURLToPath(import.meta.url), '../../../dist/scripts/fuzz-api.js');
const SEED = 20261205;

function rpcNames(): string[] {
  const names: string[] = [];
  for (const [service, def] of Object.entries(loadProtos().definition)) {
    if (!service.startsWith(`${PACKAGE}.`) || 'format' in def) continue;
    for (const method of Object.keys(def)) names.push(`${service.slice(PACKAGE.length + 1)}/${method}`);
  }
  return names;
}

describe('the API fuzzer (issue 11)', () => {
  it(`finds no crash, no INTERNAL or UNKNOWN, no change by a refusal (seed ${SEED})`, { timeout: 120_000 }, async () => {
    const ports = portBlock();
    const result = await execa(process.execPath, [FUZZ, '--count', '120', '--seconds', '30', '--seed', String(SEED), '--export-ports', `${ports}-${ports + 99}`], {
      reject: false,
      timeout: 110_000,
      // What a failing run keeps for diagnosis (serve's log) goes where the test run cleans up.
      env: { TMPDIR: tempDir('fuzz-api-') },
    });
    const report = `${result.stdout}\n${result.stderr}`;
    expect(result.stdout, report).toMatch(/^fuzz-api: seed 20261205, \d+ requests over \d+ RPCs/m);
    for (const rpc of rpcNames()) expect(result.stdout, `${rpc} was never called`).toMatch(new RegExp(`^ {2}${rpc} +\\S`, 'm'));
    expect(result.stdout).toMatch(/^state: \d+ refused requests compared before\/after/m);
    expect(result.stdout, report).toMatch(/^violations: 0$/m);
    expect(result.exitCode, report).toBe(0);
  });
});
