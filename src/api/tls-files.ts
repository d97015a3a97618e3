/**
 * TLS identities read from PEM files and checked before they are used, so that a bad file is a
 * start-up error naming its config key (or, on rotation, a logged refusal that keeps the pair in
 * use) instead of a handshake that fails later for every caller. Node's X509Certificate does the
 * parsing: no runtime dependency.
 *
 * Nothing here puts a private key's bytes into a message or a summary.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';

/** A file and the config key that named it, which every complaint about the file quotes. */
export interface TlsFile {
  readonly key: string;
  readonly path: string;
}

/** A certificate (leaf first, then any intermediates), its private key, and the CAs to trust in the other side. */
export interface TlsFiles {
  readonly cert: TlsFile;
  readonly key: TlsFile;
  readonly ca: TlsFile;
}

export interface TlsBytes {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
}

/** What logs and tests may know of an identity: never the key. */
export interface TlsSummary {
  readonly subject: string;
  readonly serial: string;
  readonly fingerprint256: string;
  readonly validTo: string;
  readonly caCertificates: number;
  /** The earliest notAfter among the CA bundle's certificates. */
  readonly caValidTo: string;
}

export interface TlsMaterial extends TlsBytes {
  readonly summary: TlsSummary;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads and checks the three files (start-up: synchronous, and a ConfigError names the key and file). */
export function readTlsFilesSync(files: TlsFiles, now = new Date()): TlsMaterial {
  const read = (file: TlsFile): Buffer => {
    try {
      return readFileSync(file.path);
    } catch (err) {
      throw unreadable(file, err);
    }
  };
  return checkTlsBytes(files, { cert: read(files.cert), key: read(files.key), ca: read(files.ca) }, now);
}

/** Reads the three files for a reload; checking is left to checkTlsBytes. */
export async function readTlsBytes(files: TlsFiles): Promise<TlsBytes> {
  const read = (file: TlsFile): Promise<Buffer> =>
    readFile(file.path).catch((err: unknown) => {
      throw unreadable(file, err);
    });
  const [cert, key, ca] = await Promise.all([read(files.cert), read(files.key), read(files.ca)]);
  return { cert, key, ca };
}

/**
 * Refuses what a TLS handshake would trip on: a file that is not PEM, a certificate not valid
 * now, a key that is not the certificate's, a CA bundle without certificates.
 */
export function checkTlsBytes(files: TlsFiles, bytes: TlsBytes, now = new Date()): TlsMaterial {
  const chain = certificates(files.cert, bytes.cert);
  const leaf = chain[0]!;
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (now < notBefore) throw new ConfigError(files.cert.key, `${files.cert.path}: the certificate is not valid before ${notBefore.toISOString()}`);
  if (now > notAfter) throw new ConfigError(files.cert.key, `${files.cert.path}: the certificate expired on ${notAfter.toISOString()}`);
  const key = privateKey(files.key, bytes.key);
  if (!leaf.checkPrivateKey(key)) throw new ConfigError(files.key.key, `${files.key.path} is not the private key of ${files.cert.key} ${files.cert.path}`);
  const cas = certificates(files.ca, bytes.ca);
  const caNotAfter = Math.min(...cas.map((ca) => Date.parse(ca.validTo)));
  return {
    ...bytes,
    summary: {
      subject: leaf.subject.replace(/\n/g, ', '),
      serial: leaf.serialNumber,
      fingerprint256: leaf.fingerprint256,
      validTo: notAfter.toISOString(),
      caCertificates: cas.length,
      caValidTo: new Date(caNotAfter).toISOString(),
    },
  };
}

function certificates(file: TlsFile, bytes: Buffer): X509Certificate[] {
  const blocks = bytes.toString('latin1').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new ConfigError(file.key, `${file.path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new ConfigError(file.key, `${file.path}: certificate ${i + 1} cannot be parsed (${(err as Error).message})`);
    }
  });
}

function privateKey(file: TlsFile, bytes: Buffer): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(bytes.toString('latin1'))) throw new ConfigError(file.key, `${file.path} holds no PEM private key (-----BEGIN PRIVATE KEY-----)`);
  try {
    return createPrivateKey(bytes);
  } catch (err) {
    // OpenSSL's reason only ("bad decrypt", "unsupported"): it never quotes the key.
    const reason = (err as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE' ? 'the key is encrypted; give an unencrypted key (file mode 0600)' : (err as Error).message;
    throw new ConfigError(file.key, `${file.path}: the private key cannot be read (${reason})`);
  }
}

function unreadable(file: TlsFile, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException).code;
  return new ConfigError(file.key, `cannot read ${file.path}: ${code ?? (err as Error).message}`);
}
