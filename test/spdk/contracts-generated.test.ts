/**
 * The contracts' validators generated ahead of time (ajv standalone, as `npm run build` makes
 * them) answer exactly as the schemas compiled at start do, and are used only when they were made
 * from the files on disk: otherwise the load compiles, and says why at debug.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { contractsDir, contractValidatorSet, loadContracts, type MethodContract } from '../../src/spdk/contracts.js';
import { INDEX_FILE, moduleFile } from '../../src/validation/generated-validators.js';
import { writeGenerated } from '../../src/validation/standalone-build.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const transcripts = path.resolve(repoRoot, '../shared/spdk/transcripts');

// Generated code requires ajv's runtime helpers by package name, so it must sit below this
// checkout's node_modules, as dist/ does.
const cacheRoot = path.join(repoRoot, 'node_modules', '.cache');
mkdirSync(cacheRoot, { recursive: true });
const work = mkdtempSync(path.join(cacheRoot, 'conductor-contracts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const generatedDir = path.join(work, 'contract-validators');
writeGenerated(generatedDir, contractValidatorSet());

function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

const compiled = loadContracts(contractsDir(), { generated: false });
const generatedLog = capture();
const generated = loadContracts(contractsDir(), { generated: generatedDir, logger: generatedLog.logger });

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; enum?: unknown[]; minimum?: number };

/** A value of the schema's type, as plain as it gets. */
function sample(schema: Schema | undefined): unknown {
  const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
  if (schema?.enum) return schema.enum[0];
  switch (type) {
    case 'string':
      return 'x';
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return true;
    case 'array':
      return [sample(schema?.items)];
    case 'object':
      return Object.fromEntries((schema?.required ?? []).map((key) => [key, sample(schema?.properties?.[key])]));
    default:
      return null;
  }
}

const WRONG: readonly unknown[] = [-1, 1.5, 2 ** 64, 4_294_967_296, '', 'x', true, null, {}, [], [1], { a: 1 }];

/** The value, then each key of it (and of its first element, for lists) missing and given every wrong value, then an unknown key. */
function variants(value: unknown): unknown[] {
  const out: unknown[] = [value, undefined, null, 'x', 7, []];
  if (Array.isArray(value)) {
    out.push([...value, 'x'], [null]);
    for (const inner of variants(value[0]).slice(6)) out.push([inner]);
    return out;
  }
  if (typeof value !== 'object' || value === null) return out;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const { [key]: _, ...rest } = record;
    out.push(rest);
    for (const wrong of WRONG) out.push({ ...record, [key]: wrong });
  }
  out.push({ ...record, nope: 1 });
  return out;
}

/** What spdk_tgt was sent and answered in the recordings, a few of each method (distinct ones). */
function recorded(): Map<string, { params: unknown[]; results: unknown[] }> {
  const byMethod = new Map<string, { params: unknown[]; results: unknown[]; seen: Set<string> }>();
  for (const file of readdirSync(transcripts).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(path.join(transcripts, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const entry = JSON.parse(line) as { method?: string; params?: unknown; response?: { result?: unknown } };
      if (!entry.method) continue;
      const slot = byMethod.get(entry.method) ?? { params: [], results: [], seen: new Set<string>() };
      byMethod.set(entry.method, slot);
      for (const [list, value] of [
        [slot.params, entry.params ?? undefined],
        [slot.results, entry.response?.result],
      ] as const) {
        const key = `${list === slot.params ? 'p' : 'r'}${JSON.stringify(value)?.slice(0, 4096)}`;
        if (value === undefined || slot.seen.has(key) || list.length >= 6) continue;
        slot.seen.add(key);
        list.push(value);
      }
    }
  }
  return byMethod;
}

const RECORDED = recorded();

function answers(contract: MethodContract, params: readonly unknown[], results: readonly unknown[]) {
  return {
    params: params.map((p) => contract.validateParams(p)),
    results: results.map((r) => contract.validateResult(r)),
  };
}

describe('generated contract validators', () => {
  it('load without compiling anything and without a word', () => {
    expect(generatedLog.lines).toEqual([]);
    expect([...generated.keys()]).toEqual([...compiled.keys()]);
    expect(generated.size).toBe(readdirSync(contractsDir()).filter((f) => f.endsWith('.json')).length);
  });

  it.each([...compiled.keys()])('%s: same contract, same answers on valid and invalid params and results', (method) => {
    const a = compiled.get(method)!;
    const b = generated.get(method)!;
    expect({ ...b, validateParams: 0, validateResult: 0, verdict: 0 }).toEqual({ ...a, validateParams: 0, validateResult: 0, verdict: 0 });
    const doc = JSON.parse(readFileSync(path.join(contractsDir(), `${method}.json`), 'utf8')) as { params: Schema; result: Schema };
    const seen = RECORDED.get(method);
    const params = [sample(doc.params), ...(seen?.params ?? [])].flatMap(variants);
    const results = [sample(doc.result), ...(seen?.results ?? [])].flatMap(variants);
    const expected = answers(a, params, results);
    expect(answers(b, params, results)).toEqual(expected);
    // The table holds both verdicts, so equal answers are not two empty lists.
    expect(expected.params.filter((p) => p === undefined).length).toBeGreaterThan(0);
    expect(expected.params.filter((p) => p !== undefined).length).toBeGreaterThan(0);
    expect(expected.results.filter((r) => r !== undefined).length).toBeGreaterThan(0);
  });

  it('words a bounded integer as one problem, as the compiled schema does', () => {
    const create = generated.get('bdev_lvol_create')!;
    expect(create.validateParams({ lvol_name: 'l', size_in_mib: -1, lvs_name: 'lvs' })).toEqual(['size_in_mib: must be integer >= 0']);
    expect(create.validateParams({ lvol_name: 'l', size_in_mib: 1, lvs_name: 'lvs' })).toBeUndefined();
    expect(create.takesParams).toBe(true);
    expect(generated.get('spdk_get_version')!.takesParams).toBe(false);
  });

  it('reads verdicts the same way', () => {
    for (const [method, a] of compiled) {
      const b = generated.get(method)!;
      for (const code of [-1, -2, -17, -19, -22, -32602, -32603, 0]) {
        for (const message of ['File exists', 'No such device', 'Invalid parameters', 'Operation not permitted', '']) {
          expect(b.verdict(code, message), `${method} ${code} ${message}`).toBe(a.verdict(code, message));
        }
      }
    }
  });
});

describe('when the generated validators do not fit', () => {
  function copyOfContracts(): string {
    const dir = mkdtempSync(path.join(work, 'spdk-'));
    cpSync(contractsDir(), dir, { recursive: true });
    return dir;
  }

  it('compiles when a contract changed since the build, and says why at debug', () => {
    const dir = copyOfContracts();
    const file = path.join(dir, 'bdev_lvol_resize.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { params: { properties: Record<string, Schema> } };
    doc.params.properties.size_in_mib = { type: 'integer', minimum: 8 };
    writeFileSync(file, JSON.stringify(doc));
    const { logger, lines } = capture();
    const contracts = loadContracts(dir, { generated: generatedDir, logger });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 20, msg: 'spdk method contracts: compiling their schemas' });
    expect(String(lines[0]!.reason)).toMatch(/made from other inputs/);
    // The changed contract is what answers, not the generated one.
    expect(contracts.get('bdev_lvol_resize')!.validateParams({ name: 'l', size_in_mib: 4 })).toEqual(['size_in_mib: must be integer >= 8']);
    expect(generated.get('bdev_lvol_resize')!.validateParams({ name: 'l', size_in_mib: 4 })).toBeUndefined();
  });

  it('compiles when there are none, and checks the files as before', () => {
    const dir = copyOfContracts();
    const { logger, lines } = capture();
    const missing = path.join(work, 'nothing-here');
    expect(loadContracts(dir, { generated: missing, logger }).size).toBe(compiled.size);
    expect(String(lines[0]?.reason)).toMatch(/no generated validators/);
    const bad = copyOfContracts();
    writeFileSync(path.join(bad, 'bdev_malloc_delete.json'), JSON.stringify({ method: 'bdev_malloc_delete' }));
    expect(() => loadContracts(bad, { generated: missing })).toThrow(/rpc-schemas\/spdk\/bdev_malloc_delete\.json: not a contract: /);
  });

  it('are not made from a contract a compiling start would refuse: the build fails naming it', () => {
    const bad = copyOfContracts();
    writeFileSync(path.join(bad, 'bdev_null_delete.json'), JSON.stringify({ method: 'bdev_null_delete', summary: 'x' }));
    expect(() => contractValidatorSet(bad)).toThrow(/rpc-schemas\/spdk\/bdev_null_delete\.json: not a contract: /);
  });

  it('compiles one method whose module is from another build, at its first call', () => {
    const copy = path.join(work, 'other-build');
    cpSync(generatedDir, copy, { recursive: true });
    const module = moduleFile(copy, 'bdev_lvol_create');
    writeFileSync(module, readFileSync(module, 'utf8').replace(/exports\.digest = "[0-9a-f]+";/, 'exports.digest = "0";'));
    const { logger, lines } = capture();
    const contracts = loadContracts(contractsDir(), { generated: copy, logger });
    expect(lines).toEqual([]);
    expect(contracts.get('bdev_lvol_create')!.validateParams({ lvol_name: 'l', size_in_mib: -1 })).toEqual(compiled.get('bdev_lvol_create')!.validateParams({ lvol_name: 'l', size_in_mib: -1 }));
    expect(lines.map((l) => [l.msg, l.method])).toEqual([['spdk method contract: its generated validators are gone or from another build; compiling its schemas', 'bdev_lvol_create']]);
  });

  it('compiles when the index names a module that is not there', () => {
    const copy = path.join(work, 'half-build');
    cpSync(generatedDir, copy, { recursive: true });
    rmSync(moduleFile(copy, 'nvmf_create_subsystem'));
    const { logger, lines } = capture();
    expect(loadContracts(contractsDir(), { generated: copy, logger }).size).toBe(compiled.size);
    expect(String(lines[0]?.reason)).toMatch(/lack nvmf_create_subsystem/);
    expect(JSON.parse(readFileSync(path.join(copy, INDEX_FILE), 'utf8'))).toMatchObject({ modules: expect.arrayContaining(['nvmf_create_subsystem']) });
  });
});
