/**
 * A certificate in use that expires soon, or has (src/api/tls-expiry.ts), with real certificates
 * made at test time: the warning at load and at rotation while notAfter is within the window (and
 * none for a one-year certificate), the warning when the window opens, the error when notAfter
 * passes while the certificate is in use, and the expiry gauges (metrics/node-metrics.ts) that
 * follow the set in use.
 */
import { X509Certificate } from 'node:crypto';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeMetrics } from '../../src/api/metrics/node-metrics.js';
import { DAY_MS, TlsExpiryWatch } from '../../src/api/tls-expiry.js';
import type { TlsFiles } from '../../src/api/tls-files.js';
import { WatchedTls } from '../../src/api/watched-tls.js';
import type { NodeObservation } from '../../src/domain/node/observation.js';
import { parseExposition, value } from '../metrics/helpers/exposition.js';
import { type Identity, makeCa, replaceFile, type TestCa, writeIdentity } from '../helpers/certs.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from './helpers/api-server.js';

const WINDOW_MS = 14 * DAY_MS;
const EXPIRING = 'the certificate in use expires soon: rotate it before notAfter';
const EXPIRED = 'the certificate in use has expired: new TLS connections with it fail; install a valid one (the files are followed)';

interface Line {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A whole second from now: a certificate's notAfter has no fraction, so the expected figures are exact. */
function secondsFromNow(ms: number): Date {
  return new Date(Math.ceil((Date.now() + ms) / 1000) * 1000);
}

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0).reverse()) close();
});

interface Watched {
  tls: WatchedTls;
  watch: TlsExpiryWatch;
  lines: Line[];
  files: { cert: string; key: string; ca: string };
  metrics: NodeMetrics;
}

function watched(ca: TestCa, identity: Identity, options: { warnWithinMs?: number; checkEveryMs?: number } = {}): Watched {
  const files = writeIdentity(tempDir('tls-expiry-'), 'server', identity, ca);
  const lines: Line[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  const tlsFiles: TlsFiles = { cert: { key: 'api.tls.cert', path: files.cert }, key: { key: 'api.tls.key', path: files.key }, ca: { key: 'api.tls.clientCa', path: files.ca } };
  const tls = new WatchedTls(tlsFiles, log, { watch: false });
  const watch = new TlsExpiryWatch(tls, log, { warnWithinMs: options.warnWithinMs ?? WINDOW_MS, checkEveryMs: options.checkEveryMs });
  const metrics = new NodeMetrics({
    observe: () => emptyObservation(),
    loopDelay: () => ({ p50Ms: 0, p99Ms: 0, maxMs: 0, windowMs: 0, windowEnd: new Date(0).toISOString() }),
    volumeIo: () => undefined,
    volumeRates: () => ({ windowSec: 0, rates: [] }),
    tls: () => [{ identity: 'api', summary: tls.summary }],
  });
  closers.push(
    () => tls.close(),
    () => watch.close(),
    () => metrics.close(),
  );
  return { tls, watch, lines, files, metrics };
}

function emptyObservation(): NodeObservation {
  return {
    at: Date.now(),
    disks: [],
    objects: { disks: 0, replicas: 0, snapshots: 0, exports: 0, engines: 0, rebuilds: 0 },
    engines: [],
    rebuilds: [],
    throttle: { engaged: false, limitMbSec: 0 },
    resources: undefined,
    subsystems: undefined,
  } as unknown as NodeObservation;
}

async function gauge(metrics: NodeMetrics, name: string): Promise<number | undefined> {
  const text = (await metrics.render()).body.toString('utf8');
  return value(parseExposition(text), `spdk_conductor_${name}`, { identity: 'api' });
}

/** The load check runs on the tick after the watch is made (the identity listener's first call): done before any immediate. */
function loadChecked(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('certificate expiry in the log and the metrics', () => {
  it('warns at load for a certificate expiring within the window, naming file, subject, serial and notAfter, never the key', async () => {
    const ca = await makeCa('expiry CA');
    const notAfter = secondsFromNow(2 * DAY_MS);
    const cert = await ca.issue('node-1', { server: true, notAfter });
    const w = watched(ca, cert);
    await loadChecked();
    const warnings = w.lines.filter((l) => l.msg === EXPIRING);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 40,
      reason: 'loaded',
      configKey: 'api.tls.cert',
      file: w.files.cert,
      subject: 'CN=node-1',
      serial: cert.serial.toUpperCase(),
      notAfter: notAfter.toISOString(),
    });
    expect(warnings[0]!.expiresInSec).toBeGreaterThan(2 * 86_400 - 60);
    // notAfter is rounded up to a whole second from when the test began.
    expect(warnings[0]!.expiresInSec).toBeLessThanOrEqual(2 * 86_400 + 1);
    expect(JSON.stringify(w.lines)).not.toContain(cert.keyPem.split('\n')[1]);
    expect(await gauge(w.metrics, 'tls_certificate_expiry_timestamp_seconds')).toBe(notAfter.getTime() / 1000);
  });

  it('says nothing of a certificate valid for a year', async () => {
    const ca = await makeCa('expiry CA');
    const notAfter = secondsFromNow(365 * DAY_MS);
    const w = watched(ca, await ca.issue('node-1', { server: true, notAfter }));
    await loadChecked();
    expect(w.watch.check('asked')).toBe('valid');
    expect(w.lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(await gauge(w.metrics, 'tls_certificate_expiry_timestamp_seconds')).toBe(notAfter.getTime() / 1000);
    // The CA bundle's earliest expiry is its own gauge (makeCa's CA: 30 days).
    const caNotAfter = Date.parse(new X509Certificate(ca.certPem).validTo) / 1000;
    expect(await gauge(w.metrics, 'tls_ca_expiry_timestamp_seconds')).toBe(caNotAfter);
  });

  it('follows a rotation: the warning for the rotated certificate, none after a one-year one, and the gauge with each notAfter', async () => {
    const ca = await makeCa('expiry CA');
    const first = secondsFromNow(365 * DAY_MS);
    const w = watched(ca, await ca.issue('node-1', { server: true, notAfter: first }));
    await loadChecked();
    expect(await gauge(w.metrics, 'tls_certificate_expiry_timestamp_seconds')).toBe(first.getTime() / 1000);

    const soon = secondsFromNow(3 * DAY_MS);
    const expiring = await ca.issue('node-1 rotated', { server: true, notAfter: soon });
    replaceFile(w.files.cert, expiring.certPem);
    replaceFile(w.files.key, expiring.keyPem);
    await w.tls.reload('test');
    expect(w.tls.summary.serial).toBe(expiring.serial.toUpperCase());
    expect(w.lines.filter((l) => l.msg === EXPIRING)).toMatchObject([{ reason: 'rotated', serial: expiring.serial.toUpperCase(), notAfter: soon.toISOString() }]);
    expect(await gauge(w.metrics, 'tls_certificate_expiry_timestamp_seconds')).toBe(soon.getTime() / 1000);

    const later = secondsFromNow(365 * DAY_MS + 7_000);
    const renewed = await ca.issue('node-1 renewed', { server: true, notAfter: later });
    replaceFile(w.files.cert, renewed.certPem);
    replaceFile(w.files.key, renewed.keyPem);
    await w.tls.reload('test');
    expect(w.tls.summary.serial).toBe(renewed.serial.toUpperCase());
    expect(w.lines.filter((l) => l.msg === EXPIRING)).toHaveLength(1);
    expect(await gauge(w.metrics, 'tls_certificate_expiry_timestamp_seconds')).toBe(later.getTime() / 1000);
  });

  it('logs an error once a certificate in use expires, and the gauge stays its notAfter', async () => {
    const ca = await makeCa('expiry CA');
    const notAfter = secondsFromNow(6_000);
    const cert = await ca.issue('node-1', { server: true, notAfter });
    const w = watched(ca, cert);
    await loadChecked();
    // Within the window from the start: the warning first.
    expect(w.lines.filter((l) => l.msg === EXPIRING)).toHaveLength(1);
    const error = await waitFor('the expired certificate to be logged', () => w.lines.find((l) => l.msg === EXPIRED), 30_000);
    expect(Date.now()).toBeGreaterThan(notAfter.getTime());
    expect(error).toMatchObject({
      level: 50,
      reason: 'periodic check',
      configKey: 'api.tls.cert',
      file: w.files.cert,
      subject: 'CN=node-1',
      serial: cert.serial.toUpperCase(),
      notAfter: notAfter.toISOString(),
    });
    expect(error.expiredForSec).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(w.lines)).not.toContain(cert.keyPem.split('\n')[1]);
    // Still the set in use (nothing valid replaced it), and the gauge says when it ended.
    expect(w.tls.summary.serial).toBe(cert.serial.toUpperCase());
    expect(await gauge(w.metrics, 'tls_certificate_expiry_timestamp_seconds')).toBe(notAfter.getTime() / 1000);
  }, 40_000);

  it('warns when the window opens, without waiting for the hourly check', async () => {
    const ca = await makeCa('expiry CA');
    // The window is a day; the certificate ends a day and 6 s from now: valid at load, expiring 6 s later.
    const w = watched(ca, await ca.issue('node-1', { server: true, notAfter: secondsFromNow(DAY_MS + 6_000) }), { warnWithinMs: DAY_MS });
    await loadChecked();
    expect(w.lines.filter((l) => l.level >= 40)).toEqual([]);
    const warning = await waitFor('the warning when the window opens', () => w.lines.find((l) => l.msg === EXPIRING), 30_000);
    expect(warning).toMatchObject({ level: 40, reason: 'periodic check' });
  }, 40_000);

  it('repeats the warning every checkEveryMs while it lasts, and stops on close', async () => {
    const ca = await makeCa('expiry CA');
    const w = watched(ca, await ca.issue('node-1', { server: true, notAfter: secondsFromNow(2 * DAY_MS) }), { checkEveryMs: 50 });
    await waitFor('three periodic warnings', () => w.lines.filter((l) => l.msg === EXPIRING && l.reason === 'periodic check').length >= 3, 10_000);
    w.watch.close();
    const after = w.lines.length;
    expect(w.watch.check('after close')).toBe('valid');
    expect(w.lines).toHaveLength(after);
  });
});
