/**
 * JSON-RPC request validation and response text, following what spdk_tgt v26.05 answered in
 * transcript 09 (not the JSON-RPC 2.0 spec where the two differ).
 */
import { hasDuplicateKeys, rawIdOf, type JsonValue } from './json-scan.js';

export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
export const PARSE_ERROR = -32700;

/** A request that passed validation. `rawId` is null when absent or null: a notification. */
export interface RpcRequest {
  readonly method: string;
  /** undefined when the request carried no params or `"params": null`. */
  readonly params: JsonValue | undefined;
  readonly rawId: string | null;
}

export type ValidatedRequest = { readonly ok: true; readonly request: RpcRequest } | { readonly ok: false; readonly rawId: string | null };

const REQUEST_KEYS = new Set(['jsonrpc', 'method', 'params', 'id']);

function isPlainObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The order of checks matters: spdk_tgt answers a bad `jsonrpc` or `method` (or an unknown or
 * duplicate member) with `id: null` even when an id was sent, but a bad `params` with the id.
 */
export function validateRequest(value: JsonValue): ValidatedRequest {
  if (!isPlainObject(value)) return { ok: false, rawId: null };
  if (hasDuplicateKeys(value)) return { ok: false, rawId: null };
  for (const key of Object.keys(value)) {
    if (!REQUEST_KEYS.has(key)) return { ok: false, rawId: null };
  }
  if ('jsonrpc' in value && value['jsonrpc'] !== '2.0') return { ok: false, rawId: null };
  const method = value['method'];
  if (typeof method !== 'string') return { ok: false, rawId: null };
  let rawId: string | null = null;
  if ('id' in value) {
    const id = value['id'];
    if (id !== null && typeof id !== 'string' && typeof id !== 'number') return { ok: false, rawId: null };
    if (id !== null) rawId = typeof id === 'string' ? JSON.stringify(id) : (rawIdOf(value) ?? String(id));
  }
  const params = value['params'];
  if (params !== undefined && params !== null && typeof params !== 'object') return { ok: false, rawId };
  return { ok: true, request: { method, params: params === null ? undefined : params, rawId } };
}

export function resultText(rawId: string | null, result: unknown): string {
  return `{"jsonrpc":"2.0","id":${rawId ?? 'null'},"result":${JSON.stringify(result === undefined ? null : result)}}`;
}

export function errorText(rawId: string | null, code: number, message: string): string {
  return `{"jsonrpc":"2.0","id":${rawId ?? 'null'},"error":${JSON.stringify({ code, message })}}`;
}
