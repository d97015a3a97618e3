/**
 * ajv (JSON Schema 2020-12) for the service's own schemas: the spdk_tgt method contracts and the
 * state file. Loaded on first use, not at import: a start that finds the validators the build
 * generated (generated-validators.ts) never needs ajv's compiler (~75 ms of import). ajv is
 * CommonJS, so require() loads it synchronously.
 */
import { createRequire } from 'node:module';
import type { Options } from 'ajv';

export type AjvInstance = import('ajv').default;
type AjvConstructor = new (options: Options) => AjvInstance;

const require = createRequire(import.meta.url);

/** A new ajv instance; strict always (a schema with an unknown keyword is a bug). */
export function newAjv(options: Options): AjvInstance {
  const module = require('ajv/dist/2020.js') as { default?: AjvConstructor };
  const Ajv = module.default ?? (module as unknown as AjvConstructor);
  return new Ajv({ strict: true, ...options });
}

/** The ajv release in use: generated validators are trusted only from the same one. */
export function ajvVersion(): string {
  return (require('ajv/package.json') as { version: string }).version;
}
