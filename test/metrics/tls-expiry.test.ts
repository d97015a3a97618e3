/**
 * The TLS identities' expiry as a serve process shows it (certificates made at test time): on
 * /metrics (HTTPS with the API's identity) each certificate's notAfter by identity, following a
 * rotation of api.tls.*; in the log, a warning at start for the API's certificate that expires
 * within api.tls.expiryWarnDays and none for the one-year client certificate.
 */
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../api/helpers/api-server.js';
import { type Identity, makeCa, replaceFile, type TestCa, writeIdentity } from '../helpers/certs.js';
import { tempDir } from '../helpers/temp-dir.js';
import { type Exposition, parseExposition, value } from './helpers/exposition.js';
import { type ServeProcess, startServe } from './helpers/serve-process.js';

const DAY_MS = 24 * 3600 * 1000;
const EXPIRY = 'spdk_conductor_tls_certificate_expiry_timestamp_seconds';
const CA_EXPIRY = 'spdk_conductor_tls_ca_expiry_timestamp_seconds';
const EXPIRING = 'the certificate in use expires soon: rotate it before notAfter';

/** A whole second from now: a certificate's notAfter has no fraction, so the expected figures are exact. */
function secondsFromNow(ms: number): Date {
  return new Date(Math.ceil((Date.now() + ms) / 1000) * 1000);
}

let node: ServeProcess;
let ca: TestCa;
let scraper: Identity;
let serverFiles: { cert: string; key: string; ca: string };
let serverCert: Identity;
const serverNotAfter = secondsFromNow(2 * DAY_MS);
const clientNotAfter = secondsFromNow(365 * DAY_MS);

function scrape(): Promise<Exposition> {
  return new Promise((resolve, reject) => {
    const url = new URL('/metrics', node.httpBase.replace('http:', 'https:'));
    const req = https.get(url, { ca: ca.certPem, cert: scraper.certPem, key: scraper.keyPem, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(parseExposition(body)) : reject(new Error(`/metrics answered ${res.statusCode}: ${body}`))));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
  });
}

function lines(): Array<Record<string, unknown>> {
  return node
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  const dir = tempDir('tls-expiry-');
  ca = await makeCa('expiry test CA');
  serverCert = await ca.issue('node-1', { server: true, notAfter: serverNotAfter });
  serverFiles = writeIdentity(dir, 'server', serverCert, ca);
  const client = writeIdentity(dir, 'client', await ca.issue('node-1 client', { notAfter: clientNotAfter }), ca);
  scraper = await ca.issue('prometheus');
  node = await startServe(
    {
      CONDUCTOR_API_TCP: '127.0.0.1:0',
      CONDUCTOR_API_TLS_CERT: serverFiles.cert,
      CONDUCTOR_API_TLS_KEY: serverFiles.key,
      CONDUCTOR_API_TLS_CLIENT_CA: serverFiles.ca,
      CONDUCTOR_API_TLS_POLL_MS: '200',
      CONDUCTOR_CLIENT_TLS_CERT: client.cert,
      CONDUCTOR_CLIENT_TLS_KEY: client.key,
      CONDUCTOR_CLIENT_TLS_CA: client.ca,
    },
    { readyOver: 'https', ca: ca.certPem },
  );
}, 120_000);

afterAll(async () => {
  await node?.stop();
});

describe('TLS certificate expiry of a serve process', () => {
  it('exposes each identity’s notAfter and its CA bundle’s earliest', async () => {
    const e = await scrape();
    expect(e.types.get(EXPIRY)).toBe('gauge');
    expect(value(e, EXPIRY, { identity: 'api' })).toBe(serverNotAfter.getTime() / 1000);
    expect(value(e, EXPIRY, { identity: 'client' })).toBe(clientNotAfter.getTime() / 1000);
    const caNotAfter = Date.parse(new X509Certificate(ca.certPem).validTo) / 1000;
    expect(value(e, CA_EXPIRY, { identity: 'api' })).toBe(caNotAfter);
    expect(value(e, CA_EXPIRY, { identity: 'client' })).toBe(caNotAfter);
  }, 30_000);

  it('warns at start for the API certificate expiring within 14 days, not for the one-year client certificate', () => {
    const warnings = lines().filter((l) => l.msg === EXPIRING);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      component: 'api-tls',
      reason: 'loaded',
      configKey: 'api.tls.cert',
      file: serverFiles.cert,
      subject: 'CN=node-1',
      serial: serverCert.serial.toUpperCase(),
      notAfter: serverNotAfter.toISOString(),
    });
    expect(node.log()).not.toContain(serverCert.keyPem.split('\n')[1]);
  });

  it('follows a rotation to a certificate with another notAfter', async () => {
    const later = secondsFromNow(90 * DAY_MS);
    const next = await ca.issue('node-1 rotated', { server: true, notAfter: later });
    replaceFile(serverFiles.key, next.keyPem);
    replaceFile(serverFiles.cert, next.certPem);
    await waitFor('the rotated certificate’s notAfter on /metrics', async () => value(await scrape(), EXPIRY, { identity: 'api' }) === later.getTime() / 1000, 30_000);
    expect(value(await scrape(), EXPIRY, { identity: 'client' })).toBe(clientNotAfter.getTime() / 1000);
    // A 90-day certificate is outside the window: the one warning is still the start's.
    expect(lines().filter((l) => l.msg === EXPIRING)).toHaveLength(1);
  }, 60_000);
});
