import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { censorSecrets, componentLogger, createLogger, REDACT_PATHS } from '../src/log.js';

function sink(): { destination: Writable; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { destination, lines };
}

/** The line as logged, without its time. */
function parsed(line: string): Record<string, unknown> {
  const { time: _time, ...rest } = JSON.parse(line) as Record<string, unknown>;
  return rest;
}

class RpcError extends Error {
  constructor(
    message: string,
    readonly params: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/** Deterministic pseudo-random numbers (a test that fails says which seed). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const NAMES = ['name', 'params', 'key', 'psk', 'dhchap_key', 'dhchap_ctrlr_key', 'ctrlrKey', 'secret', 'password', 'token', 'hosts', 'err', 'nqn', 'keys', 'Key', 'tokens'];

/**
 * A random value of log-line shapes: objects, arrays, Errors with params, secrets at every depth,
 * null, and (in lines, not bindings) undefined: a child's bindings are JSON text by the time they
 * are censored, where a field set to undefined is not written at all (pino's redact writes it as
 * "[redacted]"; neither writes a secret).
 */
function shape(random: () => number, depth: number, undefinedToo = true): unknown {
  const pick = random();
  const leaves = ['v', 7, true, null, 'NVMeTLSkey-1:01:abc', ...(undefinedToo ? [undefined] : [])];
  if (depth >= 5 || pick < 0.25) return leaves[Math.floor(random() * leaves.length)];
  if (pick < 0.4) return Array.from({ length: 1 + Math.floor(random() * 3) }, () => shape(random, depth + 1, undefinedToo));
  if (pick < 0.48) return new RpcError('refused', shape(random, depth + 1, undefinedToo) as Record<string, unknown>);
  const object: Record<string, unknown> = {};
  for (let i = 0; i < 1 + Math.floor(random() * 4); i++) object[NAMES[Math.floor(random() * NAMES.length)]!] = shape(random, depth + 1, undefinedToo);
  return object;
}

describe('logs', () => {
  it('writes structured lines with the component and censors secrets in params', () => {
    const { destination, lines } = sink();
    const log = componentLogger(createLogger({ destination }), 'spdk-client');
    log.info({ method: 'bdev_nvme_attach_controller', params: { name: 'r1', psk: 'NVMeTLSkey-1:01:secret', dhchap_key: 'k1' } }, 'attach');
    const line = JSON.parse(lines[0]!) as Record<string, any>;
    expect(line.component).toBe('spdk-client');
    expect(line.params).toEqual({ name: 'r1', psk: '[redacted]', dhchap_key: '[redacted]' });
    expect(lines[0]).not.toContain('secret');
  });

  it("censors the NVMe/TCP host's DH-HMAC-CHAP secrets (dhchap.key, dhchap.ctrlrKey) in logged connect options", () => {
    const { destination, lines } = sink();
    const log = createLogger({ destination });
    log.info({ options: { hostnqn: 'nqn.h', dhchap: { key: 'DHHC-1:01:hostsecret:', ctrlrKey: 'DHHC-1:02:ctrlrsecret:' } } }, 'connect');
    log.info({ dhchap: { key: 'DHHC-1:01:hostsecret:', ctrlrKey: 'DHHC-1:02:ctrlrsecret:' } }, 'connect');
    for (const text of lines) expect(text).not.toMatch(/hostsecret|ctrlrsecret/);
    expect((JSON.parse(lines[0]!) as Record<string, any>).options.dhchap).toEqual({ key: '[redacted]', ctrlrKey: '[redacted]' });
  });

  it("censors exactly what pino's redact with the same paths censors, over 2,000 random shapes, lines and child bindings, changing no caller's object", () => {
    const ours = sink();
    const theirs = sink();
    const log = createLogger({ destination: ours.destination, level: 'debug' });
    const reference = pino(
      { level: 'debug', base: { service: 'spdk-conductor' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime },
      theirs.destination,
    );
    for (let seed = 1; seed <= 2000; seed++) {
      const random = rng(seed);
      const object = shape(random, 0);
      const line = (object !== null && typeof object === 'object' && !Array.isArray(object) ? object : { value: object }) as Record<string, unknown>;
      const before = JSON.stringify(line);
      // Ours first, checked before the reference runs: fast-redact censors in place and puts values
      // back after writing, and does not put a null back (seen here: a caller's object changed).
      const bindings = seed % 10 === 0 ? ({ component: 'c', ...(shape(random, 1, false) as object) } as Record<string, unknown>) : undefined;
      (bindings ? log.child(bindings) : log).info(line, 'm');
      expect(JSON.stringify(line), `seed ${seed}: the logged object was changed`).toBe(before);
      (bindings ? reference.child(bindings) : reference).info(line, 'm');
      expect(parsed(ours.lines.at(-1)!), `seed ${seed}`).toEqual(parsed(theirs.lines.at(-1)!));
    }
    // The shapes reached secrets at every depth the paths name (and beyond, left as pino leaves them).
    expect(theirs.lines.filter((l) => l.includes('[redacted]')).length).toBeGreaterThan(500);
  });

  it('censors an Error’s own params and keeps its message and stack; returns what holds no secret as it is', () => {
    const err = new RpcError('bdev_nvme_attach_controller refused', { name: 'c1', dhchap_key: 'key0' });
    const censored = censorSecrets({ err });
    expect(censored.err).not.toBe(err);
    expect(censored.err).toBeInstanceOf(RpcError);
    expect(censored.err.message).toBe(err.message);
    expect(censored.err.stack).toBe(err.stack);
    expect(censored.err.params).toEqual({ name: 'c1', dhchap_key: '[redacted]' });
    expect(err.params.dhchap_key).toBe('key0');
    const plain = { a: { b: { c: 1 } }, list: [1, 2] };
    expect(censorSecrets(plain)).toBe(plain);
  });
});
