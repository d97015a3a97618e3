/** A real S3-protocol server (s3rver) on loopback over a temp directory, for the backup tests. */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3rver from 's3rver';
import { createRequire } from 'node:module';
import { tempDir } from '../../helpers/temp-dir.js';
import { checkSignatureV4 } from './sigv4-check.js';

/** One request as the server saw it, before it was served. */
export interface S3Request {
  readonly method: string;
  readonly path: string;
  /** The query string, '?' included ('' without one). */
  readonly search: string;
}

/** A multipart upload the server holds (initiated, neither completed nor aborted). */
export interface S3Upload {
  readonly key: string;
  readonly uploadId: string;
}

export interface TestS3 {
  readonly endpoint: string;
  readonly directory: string;
  readonly port: number;
  /** Every request served since start, in arrival order (not those refused for their signature). */
  readonly requests: S3Request[];
  /**
   * Requests answered 403 SignatureDoesNotMatch: signed with a known access key id and another
   * secret (s3rver leaves v4 signatures unchecked; this server checks them, see sigv4-check.ts).
   */
  readonly signatureMismatches: S3Request[];
  /** Where PUT bodies are written until they are whole (then renamed into the bucket). */
  readonly partials: string;
  /**
   * Awaited before a request is served: a test holds requests here (a rejection answers 503 and
   * stores nothing).
   */
  gate: ((request: S3Request) => Promise<void>) | undefined;
  /** ListMultipartUploads answers at most this many uploads a page (S3: 1,000). */
  uploadsPageSize: number;
  /** The multipart uploads in progress, by key. */
  uploads(): S3Upload[];
  stop(): Promise<void>;
  /** Starts again on the same port and directory. */
  restart(): Promise<void>;
}

interface KoaContext {
  req: { url?: string; headers: Record<string, string | string[] | undefined> };
  method: string;
  path: string;
  search: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
}

export interface StartS3Options {
  /** How long the server keeps an idle keep-alive connection (Node's default: 5 s); a test that counts the client's connections keeps them until the client closes them. */
  keepAliveMs?: number;
}

export async function startS3(bucket = 'backups', options: StartS3Options = {}): Promise<TestS3> {
  const directory = tempDir('s3-');
  let port = 0;
  let server: S3rver | undefined;
  const requests: S3Request[] = [];
  const signatureMismatches: S3Request[] = [];
  const partials = tempDir('s3-partial-');
  const run = async () => {
    server = new S3rver({ port, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
    // s3rver is a Koa app: a middleware put first sees every request before s3rver's own.
    (server as unknown as { middleware: Array<(ctx: KoaContext, next: () => Promise<void>) => Promise<void>> }).middleware.unshift(async (ctx, next) => {
      const request = { method: ctx.method, path: ctx.path, search: ctx.search };
      const verdict = checkSignatureV4({ method: ctx.method, url: ctx.req.url ?? '/', headers: ctx.req.headers }, secretOf);
      if (verdict.kind === 'mismatch') {
        signatureMismatches.push(request);
        ctx.status = 403;
        ctx.type = 'application/xml';
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message><AWSAccessKeyId>${verdict.accessKeyId}</AWSAccessKeyId></Error>`;
        return;
      }
      requests.push(request);
      if (s3.gate) {
        try {
          await s3.gate(request);
        } catch {
          ctx.status = 503;
          ctx.body = 'held by the test';
          return;
        }
      }
      if (server && serveMultipartExtras(ctx, (server as unknown as { store: S3rverStore }).store, bucket, s3.uploadsPageSize)) return;
      await next();
    });
    atomicPuts(server, partials);
    const address = (await server.run()) as { port: number };
    port = address.port;
    if (options.keepAliveMs !== undefined) (server as unknown as { httpServer: { keepAliveTimeout: number } }).httpServer.keepAliveTimeout = options.keepAliveMs;
  };
  const s3: TestS3 = {
    get endpoint() {
      return `http://127.0.0.1:${port}`;
    },
    directory,
    get port() {
      return port;
    },
    requests,
    signatureMismatches,
    partials,
    gate: undefined,
    uploadsPageSize: 1000,
    uploads: () => listUploads(uploadsDir(directory, bucket)).map(({ key, uploadId }) => ({ key, uploadId })),
    stop: async () => {
      await server?.close();
      server = undefined;
    },
    restart: run,
  };
  await run();
  return s3;
}

/** The part of s3rver's filesystem store a PUT goes through. */
interface S3rverStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  putObject(object: { bucket: string; key: string; content: Buffer | Readable; metadata: unknown }): Promise<{ size: number; md5: string }>;
}

/**
 * A PUT becomes visible whole or not at all, as on S3. s3rver streams a PUT's body straight into
 * the object's file, so a client killed mid-PUT (the kill -9 tests do that) left a torn object
 * that listings showed as stored; S3 never stores a PUT whose body did not arrive. The body is
 * written beside (`partials`, same filesystem) and renamed into place once complete.
 */
function atomicPuts(server: S3rver, partials: string): void {
  const store = (server as unknown as { store: S3rverStore }).store;
  store.putObject = async (object) => {
    const finalPath = store.getResourcePath(object.bucket, object.key, 'object');
    const partial = path.join(partials, randomUUID());
    const md5 = createHash('md5');
    let size = 0;
    try {
      const counted = async function* (source: AsyncIterable<Buffer> | Buffer[]) {
        for await (const chunk of source) {
          md5.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      };
      await pipeline(Buffer.isBuffer(object.content) ? [object.content] : object.content, counted, fs.createWriteStream(partial));
      fs.mkdirSync(path.dirname(finalPath), { recursive: true });
      fs.renameSync(partial, finalPath);
    } catch (err) {
      fs.rmSync(partial, { force: true });
      throw err;
    }
    const digest = md5.digest('hex');
    await store.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
}

/** Where s3rver keeps the multipart uploads of a bucket (its store's `uploads` resource): a directory per upload id holding `key`, `metadata` and the parts. */
function uploadsDir(directory: string, bucket: string): string {
  return path.join(directory, bucket, '._S3rver_uploads');
}

interface HeldUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

/** Sorted as S3 lists them: by key, then (here) by upload id. */
function listUploads(dir: string): HeldUpload[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((id) => fs.existsSync(path.join(dir, id, 'key')))
    .map((uploadId) => ({ key: fs.readFileSync(path.join(dir, uploadId, 'key'), 'utf8'), uploadId, initiated: fs.statSync(path.join(dir, uploadId)).mtime }))
    .sort((a, b) => (a.key === b.key ? a.uploadId.localeCompare(b.uploadId) : a.key < b.key ? -1 : 1));
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * What s3rver lacks of multipart uploads (it initiates, takes parts and completes them itself):
 * ListMultipartUploads (it answers 501) with S3's prefix, markers and paging, and
 * AbortMultipartUpload (405), over the uploads s3rver keeps on disk. Answers in S3's XML; returns
 * whether it answered.
 */
function serveMultipartExtras(ctx: KoaContext, store: S3rverStore, bucket: string, pageSize: number): boolean {
  const dir = store.getResourcePath(bucket, undefined, 'uploads');
  if (ctx.method === 'GET' && (ctx.path === `/${bucket}` || ctx.path === `/${bucket}/`) && 'uploads' in ctx.query) {
    const prefix = one(ctx.query.prefix) ?? '';
    const keyMarker = one(ctx.query['key-marker']) ?? '';
    const idMarker = one(ctx.query['upload-id-marker']);
    const max = Math.min(pageSize, Number(one(ctx.query['max-uploads']) ?? 1000));
    const after = listUploads(dir).filter((u) => u.key.startsWith(prefix) && (u.key > keyMarker || (idMarker !== undefined && idMarker !== '' && u.key === keyMarker && u.uploadId > idMarker)));
    const page = after.slice(0, max);
    const truncated = after.length > page.length;
    const last = page.at(-1);
    ctx.status = 200;
    ctx.type = 'application/xml';
    ctx.body = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      `<Bucket>${bucket}</Bucket><KeyMarker>${xml(keyMarker)}</KeyMarker><UploadIdMarker>${xml(idMarker ?? '')}</UploadIdMarker>`,
      truncated && last ? `<NextKeyMarker>${xml(last.key)}</NextKeyMarker><NextUploadIdMarker>${last.uploadId}</NextUploadIdMarker>` : '',
      `<Prefix>${xml(prefix)}</Prefix><MaxUploads>${max}</MaxUploads><IsTruncated>${truncated}</IsTruncated>`,
      ...page.map((u) => `<Upload><Key>${xml(u.key)}</Key><UploadId>${u.uploadId}</UploadId><StorageClass>STANDARD</StorageClass><Initiated>${u.initiated.toISOString()}</Initiated></Upload>`),
      '</ListMultipartUploadsResult>',
    ].join('');
    return true;
  }
  const uploadId = one(ctx.query.uploadId);
  if (ctx.method === 'DELETE' && uploadId !== undefined && ctx.path.startsWith(`/${bucket}/`)) {
    const key = ctx.path
      .slice(bucket.length + 2)
      .split('/')
      .map((s) => decodeURIComponent(s))
      .join('/');
    const held = /^[0-9a-f]+$/.test(uploadId) ? path.join(dir, uploadId) : undefined;
    if (!held || !fs.existsSync(path.join(held, 'key')) || fs.readFileSync(path.join(held, 'key'), 'utf8') !== key) {
      ctx.status = 404;
      ctx.type = 'application/xml';
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${xml(uploadId)}</UploadId></Error>`;
      return true;
    }
    fs.rmSync(held, { recursive: true, force: true });
    ctx.status = 204;
    ctx.body = null;
    return true;
  }
  return false;
}

/** Makes the test server accept another access key (s3rver knows only S3RVER/S3RVER otherwise), for tests of credentials. */
interface S3rverAccounts {
  DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void; revokeAccessKey(id: string): void };
  registry: Map<string, { accessKeys: Map<string, string> }>;
}

const accounts = (): S3rverAccounts => createRequire(import.meta.url)('s3rver/lib/models/account.js') as S3rverAccounts;

/** The secret s3rver knows for an access key id (its own S3RVER/S3RVER included), undefined when it knows none. */
function secretOf(accessKeyId: string): string | undefined {
  return accounts().registry.get(accessKeyId)?.accessKeys.get(accessKeyId);
}

/** Makes a key pair known to every test server of this process. */
export function addS3Credentials(accessKeyId: string, secretAccessKey: string): void {
  accounts().DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
}

/** Forgets a key pair (as a revoked key): requests signed with it are refused with InvalidAccessKeyId. */
export function revokeS3Credentials(accessKeyId: string): void {
  accounts().DUMMY_ACCOUNT.revokeAccessKey(accessKeyId);
}
