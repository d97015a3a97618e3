/** A real S3-protocol server (s3rver) on loopback over a temp directory, for the backup tests. */
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
