/**
 * Pages of the node-wide List calls. A token is the last name of the page before, with the List
 * and its filter, base64url-encoded: opaque to callers, stable under creates and deletes (names
 * are ordered and never change), and refused when damaged or sent to another List or filter.
 * page_size 0 reads a default page rather than everything: one answer of thousands of objects
 * is serialized in one piece on the event loop, which is what liveness must never wait behind.
 */
import type { PageRequest } from '../domain/model.js';
import { invalid } from './validate.js';

export const DEFAULT_PAGE_SIZE = 200;
export const MAX_PAGE_SIZE = 500;
const TOKEN_VERSION = 1;
/** Far above a name or a rebuild's page name; a longer token was never ours. */
const TOKEN_MAX_CHARS = 512;

export interface PageFields {
  pageSize: number;
  pageToken: string;
}

/** Which List a token belongs to and what it was filtered by. */
export interface PageScope {
  list: string;
  filter: string;
}

/** The page a request asks for, its token checked. */
export function pageRequest(scope: PageScope, fields: PageFields): PageRequest {
  if (!Number.isInteger(fields.pageSize) || fields.pageSize < 0) throw invalid('page_size', `must be 0 (a default page of ${DEFAULT_PAGE_SIZE}) or a positive number, got ${fields.pageSize}`);
  const size = fields.pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(fields.pageSize, MAX_PAGE_SIZE);
  return { size, after: fields.pageToken === '' ? undefined : decodeToken(scope, fields.pageToken) };
}

/**
 * The page to answer from what the domain gave (at most size + 1 objects after the token; a domain
 * that ignores pages gives them all, which this cuts the same way), and the token of the next.
 */
export function answerPage<T>(scope: PageScope, page: PageRequest, items: readonly T[], nameOf: (item: T) => string): { items: T[]; nextPageToken: string } {
  const after = page.after;
  let candidates = items.filter((item) => after === undefined || nameOf(item) > after);
  if (candidates.length > page.size + 1 || !ordered(candidates, nameOf)) {
    candidates = candidates.sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
  }
  if (candidates.length <= page.size) return { items: candidates, nextPageToken: '' };
  const shown = candidates.slice(0, page.size);
  return { items: shown, nextPageToken: encodeToken(scope, nameOf(shown[shown.length - 1]!)) };
}

function ordered<T>(items: readonly T[], nameOf: (item: T) => string): boolean {
  for (let i = 1; i < items.length; i++) if (nameOf(items[i - 1]!) >= nameOf(items[i]!)) return false;
  return true;
}

function encodeToken(scope: PageScope, after: string): string {
  return Buffer.from(JSON.stringify([TOKEN_VERSION, scope.list, scope.filter, after])).toString('base64url');
}

function decodeToken(scope: PageScope, token: string): string {
  const refuse = (why: string): never => {
    throw invalid('page_token', `${why}; send the next_page_token of the answer before unchanged, or none to start again`, 'INVALID_PAGE_TOKEN');
  };
  if (token.length > TOKEN_MAX_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) refuse('not a page token');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return refuse('not a page token');
  }
  if (!Array.isArray(decoded) || decoded.length !== 4 || decoded[0] !== TOKEN_VERSION || typeof decoded[3] !== 'string' || decoded[3] === '') refuse('not a page token');
  const [, list, filter, after] = decoded as [number, unknown, unknown, string];
  if (list !== scope.list) refuse('a token of another List');
  if (filter !== scope.filter) refuse('a token of the same List with another filter');
  return after;
}
