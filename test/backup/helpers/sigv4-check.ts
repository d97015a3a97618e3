/**
 * Checks an S3 request's AWS Signature Version 4 (the Authorization header form the SDK sends),
 * which s3rver does not: it knows access key ids but leaves v4 signatures unchecked, so a wrong
 * secret passed there. Written from the signing process as AWS documents it: the canonical request
 * (method, the path as sent, the query re-encoded and sorted, the signed headers, the payload hash
 * the client declared in x-amz-content-sha256), the string to sign over its scope, and the key
 * derived from the secret by date, region and service.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface SignedRequest {
  method: string;
  /** The request target as sent: path and query, still percent-encoded. */
  url: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

export type SignatureVerdict =
  /** No v4 Authorization header: the server's own handling decides. */
  | { kind: 'unsigned' }
  /** Signed with a key id the caller does not know: the server's own handling decides. */
  | { kind: 'unknown-key'; accessKeyId: string }
  | { kind: 'valid'; accessKeyId: string }
  | { kind: 'mismatch'; accessKeyId: string; why: string };

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/** RFC 3986 encoding, as SigV4 wants it: unreserved characters kept, everything else %XX (upper case). */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(search: string): string {
  if (search === '') return '';
  const pairs = search.split('&').map((part) => {
    const eq = part.indexOf('=');
    const key = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
    const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
    return [rfc3986(key), rfc3986(value)] as const;
  });
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function headerValue(value: string | string[] | undefined): string {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined.trim().replace(/\s+/g, ' ');
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** The verdict on one request, with `secretOf` giving a known key id's secret (undefined: unknown). */
export function checkSignatureV4(request: SignedRequest, secretOf: (accessKeyId: string) => string | undefined): SignatureVerdict {
  const authorization = headerValue(request.headers.authorization);
  if (!authorization.startsWith('AWS4-HMAC-SHA256 ')) return { kind: 'unsigned' };
  const parsed = AUTH.exec(authorization);
  if (!parsed) return { kind: 'mismatch', accessKeyId: '', why: 'malformed Authorization header' };
  const [, accessKeyId, day, region, service, signedHeaders, signature] = parsed as unknown as [string, string, string, string, string, string, string];
  const secret = secretOf(accessKeyId);
  if (secret === undefined) return { kind: 'unknown-key', accessKeyId };
  const amzDate = headerValue(request.headers['x-amz-date']);
  if (!amzDate.startsWith(day)) return { kind: 'mismatch', accessKeyId, why: `x-amz-date ${amzDate} is not of the credential's day ${day}` };
  const payloadHash = headerValue(request.headers['x-amz-content-sha256']);
  if (payloadHash === '') return { kind: 'mismatch', accessKeyId, why: 'no x-amz-content-sha256 header' };
  const q = request.url.indexOf('?');
  const path = q < 0 ? request.url : request.url.slice(0, q);
  const search = q < 0 ? '' : request.url.slice(q + 1);
  const names = signedHeaders.split(';');
  const canonical = [request.method.toUpperCase(), path, canonicalQuery(search), names.map((name) => `${name}:${headerValue(request.headers[name])}\n`).join(''), signedHeaders, payloadHash].join(
    '\n',
  );
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical, 'utf8').digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
  const expected = hmac(key, toSign);
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? { kind: 'valid', accessKeyId } : { kind: 'mismatch', accessKeyId, why: 'the signature does not match' };
}
