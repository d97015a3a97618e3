/**
 * The HTTP listener under the API's TLS (api.tls.*, certificates made at test time): HTTPS with
 * the API's certificate, /livez and /readyz without a client certificate (as kubelet probes),
 * /metrics only with one signed by api.tls.clientCa.
 */
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from './helpers/serve-process.js';
import { makeCa, writeIdentity } from '../helpers/certs.js';
import { tempDir } from '../helpers/temp-dir.js';

interface Answer {
  status: number;
  body: string;
}

function get(base: string, target: string, tls: { ca: string; cert?: string; key?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get(new URL(target, base.replace('http:', 'https:')), { ...tls, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
  });
}

let node: ServeProcess;
let pem: { ca: string; cert: string; key: string; otherCert: string; otherKey: string };

beforeAll(async () => {
  const dir = tempDir('metrics-tls-');
  const ca = await makeCa('metrics test CA');
  const other = await makeCa('another CA');
  const server = writeIdentity(dir, 'server', await ca.issue('node-1', { server: true }), ca);
  const client = await ca.issue('prometheus');
  const stranger = await other.issue('prometheus');
  pem = { ca: ca.certPem, cert: client.certPem, key: client.keyPem, otherCert: stranger.certPem, otherKey: stranger.keyPem };
  node = await startServe(
    {
      CONDUCTOR_API_TCP: '127.0.0.1:0',
      CONDUCTOR_API_TLS_CERT: server.cert,
      CONDUCTOR_API_TLS_KEY: server.key,
      CONDUCTOR_API_TLS_CLIENT_CA: path.join(dir, 'server-ca.crt'),
    },
    { readyOver: 'https', ca: ca.certPem },
  );
}, 120_000);

afterAll(async () => {
  await node?.stop();
});

describe('/metrics over TLS', () => {
  it('answers probes without a client certificate, and /metrics only with a trusted one', async () => {
    expect(await get(node.httpBase, '/livez', { ca: pem.ca })).toEqual({ status: 200, body: 'ok\n' });
    const anonymous = await get(node.httpBase, '/metrics', { ca: pem.ca });
    expect(anonymous.status).toBe(403);
    expect(anonymous.body).toMatch(/client certificate signed by a CA in api\.tls\.clientCa is required/);
    const stranger = await get(node.httpBase, '/metrics', { ca: pem.ca, cert: pem.otherCert, key: pem.otherKey });
    expect(stranger.status).toBe(403);
    const trusted = await get(node.httpBase, '/metrics', { ca: pem.ca, cert: pem.cert, key: pem.key });
    expect(trusted.status).toBe(200);
    expect(trusted.body).toMatch(/^spdk_conductor_objects\{kind="replica"\} 0$/m);
  }, 60_000);

  it('refuses /metrics to an anonymous client that resumes its TLS session (Node calls a resumed TLS 1.3 session authorized)', async () => {
    // No keep-alive: each request is a new connection, and the agent offers the session it cached.
    const agent = new https.Agent({ keepAlive: false });
    try {
      const ask = (target: string) =>
        new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
          const req = https.get(new URL(target, node.httpBase.replace('http:', 'https:')), { ca: pem.ca, agent, timeout: 10_000 }, (res) => {
            const reused = (res.socket as import('node:tls').TLSSocket).isSessionReused();
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, reused }));
          });
          req.on('error', reject);
          req.on('timeout', () => req.destroy(new Error('timed out')));
        });
      expect((await ask('/livez')).status).toBe(200);
      let resumed = false;
      for (let i = 0; i < 5 && !resumed; i++) {
        const answer = await ask('/metrics');
        expect(answer.status).toBe(403);
        resumed = answer.reused;
      }
      // The case this guards against happened: a resumed session asked for /metrics.
      expect(resumed).toBe(true);
    } finally {
      agent.destroy();
    }
  });

  it('serves no plain HTTP', async () => {
    await expect(fetch(`${node.httpBase}/livez`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
  });
});
