/**
 * The build's half of generated-validators.ts: a set of schemas compiled with the same options the
 * service would compile them with at runtime, written as ajv standalone code (CommonJS, so the
 * service requires it synchronously where it compiled synchronously before). Imported by the build
 * script and the tests, never by the service.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Options } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import { type GeneratedIndex, INDEX_FILE, moduleFile } from './generated-validators.js';
import { newAjv } from './json-schema.js';

export interface ValidatorSet {
  /** validatorsDigest of the inputs the schemas were read from. */
  digest: string;
  /** As the runtime compile passes them to newAjv. */
  options: Options;
  /** Module name → export name → schema. */
  modules: Readonly<Record<string, Readonly<Record<string, object | boolean>>>>;
}

/**
 * Writes `set` to `dir`, replacing what was there. The index is written last and the directory
 * renamed into place whole, so a failed build leaves no index that names half a set.
 */
export function writeGenerated(dir: string, set: ValidatorSet): void {
  const ajv = newAjv({ ...set.options, code: { source: true } });
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    for (const [name, schemas] of Object.entries(set.modules)) {
      const refs: Record<string, string> = {};
      for (const [exportName, schema] of Object.entries(schemas)) {
        const id = `generated:${name}/${exportName}`;
        ajv.addSchema(schema, id);
        refs[exportName] = id;
      }
      // CommonJS under NodeNext: the default import is module.exports, which carries `default`.
      writeFileSync(moduleFile(staging, name), `${standalone.default(ajv, refs)}\nexports.digest = ${JSON.stringify(set.digest)};\n`);
    }
    const index: GeneratedIndex = { digest: set.digest, modules: Object.keys(set.modules) };
    writeFileSync(join(staging, INDEX_FILE), `${JSON.stringify(index)}\n`);
    mkdirSync(dirname(dir), { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
