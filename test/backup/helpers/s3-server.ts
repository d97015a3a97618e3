/** A real S3-protocol server (s3rver) on loopback over a temp directory, for the backup tests. */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3rver from 's3rver';
import { tempDir } from '../../helpers/temp-dir.js';

/** One request as the server saw it, before it was served. */
export interface S3Request {
  readonly method: string;
  readonly path: string;
}

export interface TestS3 {
  readonly endpoint: string;
  readonly directory: string;
  readonly port: number;
  /** Every request served since start, in arrival order. */
  readonly requests: S3Request[];
  /** Where PUT bodies are written until they are whole (then renamed into the bucket). */
  readonly partials: string;
  /**
   * Awaited before a request is served: a test holds requests here (a rejection answers 503 and
   * stores nothing).
   */
  gate: ((request: S3Request) => Promise<void>) | undefined;
  stop(): Promise<void>;
  /** Starts again on the same port and directory. */
  restart(): Promise<void>;
}

interface KoaContext {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

export async function startS3(bucket = 'backups'): Promise<TestS3> {
  const directory = tempDir('s3-');
  let port = 0;
  let server: S3rver | undefined;
  const requests: S3Request[] = [];
  const partials = tempDir('s3-partial-');
  const run = async () => {
    server = new S3rver({ port, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
    // s3rver is a Koa app: a middleware put first sees every request before s3rver's own.
    (server as unknown as { middleware: Array<(ctx: KoaContext, next: () => Promise<void>) => Promise<void>> }).middleware.unshift(async (ctx, next) => {
      const request = { method: ctx.method, path: ctx.path };
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
      await next();
    });
    atomicPuts(server, partials);
    const address = (await server.run()) as { port: number };
    port = address.port;
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
    partials,
    gate: undefined,
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
  getResourcePath(bucket: string, key: string, resource: string): string;
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
