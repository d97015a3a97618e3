/**
 * ajv (JSON Schema 2020-12) for the service's own schemas: the spdk_tgt method contracts and the
 * state file. ajv is CommonJS: under NodeNext its default export arrives as the module object.
 */
import Ajv2020 from 'ajv/dist/2020.js';
import type { Options } from 'ajv';

export type AjvInstance = import('ajv').default;
type AjvConstructor = new (options: Options) => AjvInstance;

/** A new ajv instance; strict always (a schema with an unknown keyword is a bug). */
export function newAjv(options: Options): AjvInstance {
  const module = Ajv2020 as unknown as { default?: AjvConstructor };
  const Ajv = module.default ?? (Ajv2020 as unknown as AjvConstructor);
  return new Ajv({ strict: true, ...options });
}
