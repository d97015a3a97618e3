/**
 * What `npm run build` made (npm test builds first) is what a start loads: dist/ holds the
 * validators generated from the contracts and state schemas as they are now, the built modules use
 * them without compiling anything, and the image is built with them and ships them.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import pino from 'pino';

const read = (file: string): string => fs.readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
const dist = (file: string): string => new URL(`../../dist/${file}`, import.meta.url).href;

function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: 'debug' }, { write: (line: string) => lines.push(line) }), lines };
}

describe('the built validators', () => {
  it('are what the built contracts load: every method, checked, without compiling', async () => {
    const { loadContracts, contractsDir } = (await import(dist('src/spdk/contracts.js'))) as typeof import('../../src/spdk/contracts.js');
    const { logger, lines } = capture();
    const contracts = loadContracts(contractsDir(), { logger });
    expect(lines).toEqual([]);
    expect(contracts.size).toBe(fs.readdirSync(contractsDir()).filter((f) => f.endsWith('.json')).length);
    expect(contracts.get('bdev_lvol_create')!.validateParams({ lvol_name: 'l', size_in_mib: -1, lvs_name: 'lvs' })).toEqual(['size_in_mib: must be integer >= 0']);
    expect(lines).toEqual([]);
  });

  it('are what the built state check uses', async () => {
    const { stateCheck } = (await import(dist('src/domain/node/state-schema.js'))) as typeof import('../../src/domain/node/state-schema.js');
    const { logger, lines } = capture();
    const check = stateCheck({ log: logger });
    expect(() => check('/s.json', { version: 2, disks: {}, exports: {}, engines: {}, snapshots: {}, intents: {}, nope: 1 })).toThrow(/\$\.nope is not a known key/);
    expect(check('/s.json', { version: 1 })).toMatchObject({ version: 2, engines: {} });
    expect(lines).toEqual([]);
  });

  it('are made by the build and copied into the image with dist/', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['build']).toBe('tsc -p tsconfig.json && node dist/scripts/gen-validators.js');
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^COPY rpc-schemas \.\/rpc-schemas\n(?:.*\n)*?RUN npm run build\b/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/app\/rpc-schemas \.\/rpc-schemas$/m);
  });
});
