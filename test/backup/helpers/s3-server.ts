/** A real S3-protocol server (s3rver) on loopback over a temp directory, for the backup tests. */
import S3rver from 's3rver';
import { tempDir } from '../../helpers/temp-dir.js';

export interface TestS3 {
  readonly endpoint: string;
  readonly directory: string;
  readonly port: number;
  stop(): Promise<void>;
  /** Starts again on the same port and directory. */
  restart(): Promise<void>;
}

export async function startS3(bucket = 'backups'): Promise<TestS3> {
  const directory = tempDir('s3-');
  let port = 0;
  let server: S3rver | undefined;
  const run = async () => {
    server = new S3rver({ port, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
    const address = (await server.run()) as { port: number };
    port = address.port;
  };
  await run();
  return {
    get endpoint() {
      return `http://127.0.0.1:${port}`;
    },
    directory,
    get port() {
      return port;
    },
    stop: async () => {
      await server?.close();
      server = undefined;
    },
    restart: run,
  };
}
