/**
 * A real API server on a temp Unix socket (and optionally TCP) in the test process, over a
 * FakeDomain, with clients on the same socket; plus a deadline-bound wait for conditions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { createApiClients, type ApiClients } from '../../../src/api/client.js';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../../src/api/server.js';
import { FakeDomain } from './fake-domain.js';

export interface TestApi {
  domain: FakeDomain;
  server: ApiServer;
  clients: ApiClients;
  socketPath: string;
  dir: string;
  close(): Promise<void>;
}

export function quietLogger(): Logger {
  return pino({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
}

export async function startTestApi(options: Partial<ApiServerOptions> & { domain?: FakeDomain } = {}): Promise<TestApi> {
  // Short: Unix socket paths are limited to about 107 bytes.
  const dir = await mkdtemp(join(tmpdir(), 'api-'));
  const socketPath = join(dir, 'api.sock');
  const domain = options.domain ?? new FakeDomain();
  // A TCP listener in these tests is plain unless the test secures it (test/security/ does).
  const tcpSecurity = options.tcpSecurity ?? (options.tcpAddress ? { kind: 'insecure' as const } : undefined);
  const server = await startApiServer({ logger: quietLogger(), unixSocket: socketPath, readinessPollMs: 20, shutdownGraceMs: 2000, ...options, tcpSecurity, domain });
  const clients = createApiClients({ unixSocket: socketPath });
  return {
    domain,
    server,
    clients,
    socketPath,
    dir,
    close: async () => {
      clients.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `condition` until it holds or the deadline passes, then fails saying what was awaited. */
export async function waitFor<T>(what: string, condition: () => T | undefined | false | Promise<T | undefined | false>, deadlineMs = 5000): Promise<T> {
  const until = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
