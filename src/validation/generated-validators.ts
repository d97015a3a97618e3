/**
 * Validators the build made ahead of time with ajv's standalone code generation
 * (standalone-build.ts, run by `npm run build`), so that a start loads code instead of compiling
 * JSON Schemas: the SPDK method contracts took ~0.4 s of main-thread CPU on a quiet machine (~1 s
 * loaded) as one synchronous task. A set lives in one directory: `index.json` (the digest of the
 * inputs it was made from, its modules' names) and one CommonJS module per name, required on
 * first use so that no single step loads them all. A set is used only when its digest is the
 * digest of the inputs as they are now; otherwise the caller compiles at runtime, as it did before
 * the set existed (vitest from src/, a contract changed since the build, a missing file).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Options, ValidateFunction } from 'ajv';
import { ajvVersion } from './json-schema.js';

/** Changes when the layout below changes, so a set of an older layout is never read as this one. */
const LAYOUT = 'generated-validators/1';

export const INDEX_FILE = 'index.json';

export interface GeneratedIndex {
  digest: string;
  modules: string[];
}

/**
 * SHA-256 over the layout, ajv's version, the options and the inputs (each length-prefixed, so no
 * two different lists hash alike). `options` is what newAjv is given; schemas and files are inputs.
 */
export function validatorsDigest(options: Options, inputs: readonly (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of [LAYOUT, ajvVersion(), JSON.stringify(options), ...inputs]) {
    const bytes = typeof part === 'string' ? Buffer.from(part) : part;
    hash.update(`${bytes.length}:`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

export function moduleFile(dir: string, name: string): string {
  return join(dir, `${name}.cjs`);
}

export interface GeneratedSet {
  readonly dir: string;
  /**
   * The validators module `name` exports, by export name; undefined when its file is gone or was
   * made from other inputs (a rebuild under a running service): the caller compiles that one.
   */
  module(name: string): Readonly<Record<string, ValidateFunction>> | undefined;
}

/** The set in `dir` when it was made from inputs whose digest is `digest`; otherwise why not, as a sentence. */
export function openGenerated(dir: string, digest: string): GeneratedSet | { reason: string } {
  const indexFile = join(dir, INDEX_FILE);
  if (!existsSync(indexFile)) return { reason: `no generated validators at ${dir} (not a build, or built before they existed)` };
  let index: Partial<GeneratedIndex>;
  try {
    index = JSON.parse(readFileSync(indexFile, 'utf8')) as Partial<GeneratedIndex>;
  } catch (error) {
    return { reason: `${indexFile} is not readable JSON: ${(error as Error).message}` };
  }
  if (index.digest !== digest) return { reason: `the generated validators at ${dir} were made from other inputs (schemas, options or ajv changed since the build)` };
  const names = new Set(index.modules ?? []);
  const missing = [...names].filter((name) => !existsSync(moduleFile(dir, name)));
  if (missing.length > 0) return { reason: `the generated validators at ${dir} lack ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}` };
  const require = createRequire(indexFile);
  return {
    dir,
    module(name) {
      if (!names.has(name)) return undefined;
      try {
        const exports = require(moduleFile(dir, name)) as Record<string, unknown>;
        return exports.digest === digest ? (exports as Record<string, ValidateFunction>) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
