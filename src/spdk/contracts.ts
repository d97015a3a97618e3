/**
 * The method contracts in rpc-schemas/spdk, loaded and compiled once. A contract says what the
 * service may send to spdk_tgt (params), what it relies on getting back (result), how the call
 * behaves (idempotent, deadline class, the object it acts on) and how its errors read (verdicts).
 * See rpc-schemas/README.md for the file format.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import type { Logger } from 'pino';
import { type GeneratedSet, openGenerated, validatorsDigest } from '../validation/generated-validators.js';
import { newAjv, type AjvInstance } from '../validation/json-schema.js';
import type { ValidatorSet } from '../validation/standalone-build.js';

export type Verdict = 'exists' | 'gone' | 'maybe-exists' | 'maybe-gone';

export interface MethodContract {
  readonly method: string;
  readonly summary: string;
  readonly idempotent: boolean;
  readonly deadline: 'normal' | 'slow';
  readonly objectKey: readonly string[];
  /** False when the params schema has no properties: the client then sends no `params` member. */
  readonly takesParams: boolean;
  /** Problems as readable strings ("size_in_mib: must be integer >= 0"), or undefined when valid. */
  validateParams(params: unknown): string[] | undefined;
  validateResult(result: unknown): string[] | undefined;
  /** How this method's error (code, message) reads, per the contract's verdicts; undefined = neither. */
  verdict(code: number, message: string): Verdict | undefined;
}

const PACKAGE_NAME = 'spdk-conductor';

/** Absolute path of rpc-schemas/spdk in this package, from src/ (vitest) or dist/src/ (built). */
export function contractsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && packageName(manifest) === PACKAGE_NAME) return join(dir, 'rpc-schemas', 'spdk');
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json named ${PACKAGE_NAME} above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

function packageName(manifest: string): unknown {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
  } catch {
    return undefined;
  }
}

/** How the contracts' schemas are compiled, at runtime and by the build alike. */
const CONTRACT_AJV_OPTIONS: Options = { allErrors: true, verbose: true, allowUnionTypes: true };

/** Where the build writes the contracts' generated validators: beside this module, in dist/. */
export function generatedContractsDir(): string {
  return fileURLToPath(new URL('./contract-validators', import.meta.url));
}

export interface LoadOptions {
  /**
   * The generated validators to use when they were made from these files (default:
   * generatedContractsDir()); false compiles the schemas here, as when there are none.
   */
  generated?: string | false;
  /** Told once, at debug, why the schemas were compiled rather than loaded. */
  logger?: Logger;
}

interface ContractFileBytes {
  file: string;
  bytes: Buffer;
}

/** The contract files of `dir` in name order, as bytes: what the digest and the contracts are made from. */
function readContractFiles(dir: string): ContractFileBytes[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((file) => ({ file, bytes: readFileSync(join(dir, file)) }));
}

/** The digest generated validators carry: every file's name and bytes, the options, the file schema. */
function contractsDigest(files: readonly ContractFileBytes[]): string {
  return validatorsDigest(CONTRACT_AJV_OPTIONS, [JSON.stringify(CONTRACT_FILE_SCHEMA), ...files.flatMap((f) => [f.file, f.bytes])]);
}

/**
 * What the build generates from `dir`: each method's params and result schemas. Checks every file
 * first exactly as a start that compiles them would, so a contract the service would refuse fails
 * the build.
 */
export function contractValidatorSet(dir: string = contractsDir()): ValidatorSet {
  loadContracts(dir, { generated: false });
  const files = readContractFiles(resolve(dir));
  const modules: Record<string, Record<string, object | boolean>> = {};
  for (const { bytes } of files) {
    const doc = JSON.parse(bytes.toString('utf8')) as ContractFile;
    modules[doc.method] = { params: doc.params, result: doc.result };
  }
  return { digest: contractsDigest(files), options: CONTRACT_AJV_OPTIONS, modules };
}

const cache = new Map<string, ReadonlyMap<string, MethodContract>>();

/**
 * Every contract in `dir` (default: contractsDir()), keyed by method. Synchronous and loaded
 * once per directory. Throws, naming the file, when a contract is malformed: a service that
 * cannot trust its contracts must not start. The schemas come from the build's generated
 * validators when their digest matches the files (each method's module required on its first
 * call), otherwise they are compiled here, all of them, after the file schema checked each file.
 */
export function loadContracts(dir: string = contractsDir(), options: LoadOptions = {}): ReadonlyMap<string, MethodContract> {
  const generatedDir = options.generated === false ? undefined : resolve(options.generated ?? generatedContractsDir());
  const key = `${resolve(dir)}\0${generatedDir ?? ''}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const files = readContractFiles(resolve(dir));
  const generated = generatedDir === undefined ? { reason: 'asked to compile them' } : openGenerated(generatedDir, contractsDigest(files));
  const contracts = new Map<string, MethodContract>();
  if ('reason' in generated) {
    options.logger?.debug({ reason: generated.reason }, 'spdk method contracts: compiling their schemas');
    const ajv = newAjv(CONTRACT_AJV_OPTIONS);
    const checkFile = ajv.compile<ContractFile>(CONTRACT_FILE_SCHEMA);
    for (const { file, bytes } of files) {
      const contract = contractOf(file, bytes, checkFile, (doc, fail) => {
        const compiled = compileSchemas(ajv, doc, fail);
        return () => compiled;
      });
      contracts.set(contract.method, contract);
    }
  } else {
    const late = lateCompiler(generated, options.logger);
    for (const { file, bytes } of files) {
      // The build checked these very bytes against the file schema; what remains is cheap.
      const contract = contractOf(file, bytes, undefined, (doc) => {
        let schemas: Schemas | undefined;
        return () => (schemas ??= late(doc));
      });
      contracts.set(contract.method, contract);
    }
  }
  cache.set(key, contracts);
  return contracts;
}

interface Schemas {
  params: ValidateFunction;
  result: ValidateFunction;
}

function compileSchemas(ajv: AjvInstance, doc: ContractFile, fail: (why: string) => never): Schemas {
  let params: ValidateFunction;
  let result: ValidateFunction;
  try {
    params = ajv.compile(doc.params);
  } catch (error) {
    return fail(`params schema does not compile: ${(error as Error).message}`);
  }
  try {
    result = ajv.compile(doc.result);
  } catch (error) {
    return fail(`result schema does not compile: ${(error as Error).message}`);
  }
  return { params, result };
}

/**
 * A method's validators from its generated module; compiled here when that module is gone or from
 * another build since the start (dist rebuilt under a running service).
 */
function lateCompiler(generated: GeneratedSet, logger: Logger | undefined): (doc: ContractFile) => Schemas {
  let ajv: AjvInstance | undefined;
  return (doc) => {
    const module = generated.module(doc.method);
    if (typeof module?.params === 'function' && typeof module.result === 'function') return { params: module.params, result: module.result };
    logger?.debug({ method: doc.method, dir: generated.dir }, 'spdk method contract: its generated validators are gone or from another build; compiling its schemas');
    ajv ??= newAjv(CONTRACT_AJV_OPTIONS);
    return compileSchemas(ajv, doc, (why) => {
      throw new Error(`rpc-schemas/spdk/${doc.method}.json: ${why}`);
    });
  };
}

interface VerdictRule {
  code: number;
  message: string;
  ambiguous?: boolean;
}

interface ContractFile {
  method: string;
  summary: string;
  idempotent: boolean;
  deadline: 'normal' | 'slow';
  objectKey?: string[];
  params: { type: 'object'; properties?: Record<string, object>; additionalProperties: false };
  result: object | boolean;
  verdicts: { exists?: VerdictRule[]; gone?: VerdictRule[] };
}

const RULES = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    properties: { code: { type: 'integer' }, message: { type: 'string', minLength: 1 }, ambiguous: { type: 'boolean' } },
    required: ['code', 'message'],
    additionalProperties: false,
  },
} as const;

/** The shape of a contract file itself; the schemas inside are compiled separately. */
const CONTRACT_FILE_SCHEMA = {
  type: 'object',
  properties: {
    method: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' },
    summary: { type: 'string', minLength: 1 },
    idempotent: { type: 'boolean' },
    deadline: { enum: ['normal', 'slow'] },
    objectKey: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true },
    params: {
      type: 'object',
      properties: { type: { const: 'object' }, properties: { type: 'object' }, additionalProperties: { const: false } },
      required: ['type', 'additionalProperties'],
    },
    result: { type: ['object', 'boolean'] },
    verdicts: {
      type: 'object',
      properties: { exists: RULES, gone: RULES },
      additionalProperties: false,
    },
  },
  required: ['method', 'summary', 'idempotent', 'deadline', 'params', 'result', 'verdicts'],
  additionalProperties: false,
} as const;

/**
 * One contract from its file's bytes: checked against the file schema when `checkFile` is given,
 * its validators from `schemas`.
 */
function contractOf(file: string, bytes: Buffer, checkFile: ValidateFunction<ContractFile> | undefined, schemas: (doc: ContractFile, fail: (why: string) => never) => () => Schemas): MethodContract {
  const fail = (why: string): never => {
    throw new Error(`rpc-schemas/spdk/${file}: ${why}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return fail(`not readable JSON: ${(error as Error).message}`);
  }
  if (checkFile && !checkFile(parsed)) return fail(`not a contract: ${describe(checkFile.errors, 'contract').join('; ')}`);
  const doc = parsed as ContractFile;
  if (`${doc.method}.json` !== file) fail(`method ${doc.method} does not match the file name`);
  const properties = doc.params.properties ?? {};
  const objectKey = doc.objectKey ?? [];
  for (const name of objectKey) {
    if (!(name in properties)) fail(`objectKey names ${name}, which is not a param`);
  }
  const validators = schemas(doc, fail);
  const exists = compileRules(doc.verdicts.exists, fail);
  const gone = compileRules(doc.verdicts.gone, fail);
  return Object.freeze({
    method: doc.method,
    summary: doc.summary,
    idempotent: doc.idempotent,
    deadline: doc.deadline,
    objectKey: Object.freeze([...objectKey]),
    takesParams: Object.keys(properties).length > 0,
    validateParams: (value: unknown) => {
      const { params } = validators();
      return params(value ?? {}) ? undefined : describe(params.errors, 'params');
    },
    validateResult: (value: unknown) => {
      const { result } = validators();
      return result(value) ? undefined : describe(result.errors, 'result');
    },
    verdict: (code: number, message: string): Verdict | undefined => {
      // "exists" is consulted first: a rule listed under both would be a contract error anyway.
      const hit = match(exists, code, message);
      if (hit) return hit.ambiguous ? 'maybe-exists' : 'exists';
      const miss = match(gone, code, message);
      if (miss) return miss.ambiguous ? 'maybe-gone' : 'gone';
      return undefined;
    },
  });
}

interface CompiledRule {
  code: number;
  pattern: RegExp;
  ambiguous: boolean;
}

function compileRules(rules: VerdictRule[] | undefined, fail: (why: string) => never): CompiledRule[] {
  return (rules ?? []).map((rule) => {
    let pattern: RegExp;
    try {
      pattern = new RegExp(rule.message);
    } catch (error) {
      return fail(`verdict message ${JSON.stringify(rule.message)} is not a regular expression: ${(error as Error).message}`);
    }
    return { code: rule.code, pattern, ambiguous: rule.ambiguous === true };
  });
}

function match(rules: readonly CompiledRule[], code: number, message: string): CompiledRule | undefined {
  return rules.find((rule) => rule.code === code && rule.pattern.test(message));
}

/** ajv's errors as "path: problem" lines, one per path and problem. */
function describe(errors: readonly ErrorObject[] | null | undefined, root: string): string[] {
  const lines = new Set<string>();
  for (const error of errors ?? []) {
    const path = error.instancePath.split('/').slice(1).map(unescapePointer).join('.');
    const at = (child?: string): string => [path, child].filter(Boolean).join('.') || root;
    switch (error.keyword) {
      case 'required':
        lines.add(`${at(String(error.params.missingProperty))}: is required`);
        break;
      case 'additionalProperties':
        lines.add(`${at(String(error.params.additionalProperty))}: is not allowed`);
        break;
      case 'enum':
        lines.add(`${at()}: must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`);
        break;
      case 'type':
      case 'minimum':
      case 'maximum':
        lines.add(`${at()}: ${numberProblem(error) ?? error.message ?? error.keyword}`);
        break;
      default:
        lines.add(`${at()}: ${error.message ?? error.keyword}`);
    }
  }
  return [...lines];
}

/** "must be integer >= 0 and <= 255" for a bounded integer, so one problem reads as one line. */
function numberProblem(error: ErrorObject): string | undefined {
  const schema = error.parentSchema as { type?: unknown; minimum?: unknown; maximum?: unknown } | undefined;
  if (schema?.type !== 'integer') return undefined;
  const bounds: string[] = [];
  if (typeof schema.minimum === 'number') bounds.push(`>= ${schema.minimum}`);
  if (typeof schema.maximum === 'number') bounds.push(`<= ${schema.maximum}`);
  return ['must be integer', bounds.join(' and ')].filter(Boolean).join(' ');
}

function unescapePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
