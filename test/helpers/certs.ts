/**
 * Real X.509 certificates made at test time (ECDSA P-256, @peculiar/x509 over Node's WebCrypto):
 * a CA, server certificates for 127.0.0.1/localhost, client certificates, valid or not, written
 * as PEM files into a directory.
 *
 *   const ca = await makeCa('test CA');
 *   const server = await ca.issue('node-1', { server: true });
 *   const files = writeIdentity(dir, 'server', server, ca);   // { cert, key, ca } paths
 */
// @peculiar/x509's dependency injection (tsyringe) needs the Reflect metadata API before it loads.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;

export interface Identity {
  /** The certificate, PEM. */
  certPem: string;
  /** Its private key, PKCS#8 PEM. */
  keyPem: string;
  /** The serial number in lower-case hex (Node's X509Certificate and getPeerCertificate() say it in upper case). */
  serial: string;
}

export interface IssueOptions {
  /** A server certificate (serverAuth, SAN 127.0.0.1, ::1 and localhost) rather than a client one. */
  server?: boolean;
  /** The server certificate's DNS names instead of those SANs (to make one that names another host). */
  dnsNames?: string[];
  notBefore?: Date;
  notAfter?: Date;
}

export interface TestCa extends Identity {
  issue(commonName: string, options?: IssueOptions): Promise<Identity>;
}

export async function makeCa(commonName: string): Promise<TestCa> {
  const keys = await generateKeys();
  const serial = randomSerial();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial,
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 30 * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  const issuerName = cert.subject;
  return {
    certPem: cert.toString('pem'),
    keyPem: await keyPem(keys.privateKey),
    serial,
    async issue(name, options = {}) {
      const leafKeys = await generateKeys();
      const leafSerial = randomSerial();
      const extensions: x509.Extension[] = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([options.server ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      ];
      if (options.server) {
        const names = options.dnsNames?.map((value) => ({ type: 'dns' as const, value })) ?? [
          { type: 'ip' as const, value: '127.0.0.1' },
          { type: 'ip' as const, value: '::1' },
          { type: 'dns' as const, value: 'localhost' },
        ];
        extensions.push(new x509.SubjectAlternativeNameExtension(names));
      }
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: leafSerial,
        subject: `CN=${name}`,
        issuer: issuerName,
        notBefore: options.notBefore ?? new Date(Date.now() - DAY_MS),
        notAfter: options.notAfter ?? new Date(Date.now() + 7 * DAY_MS),
        publicKey: leafKeys.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: ALGORITHM,
        extensions,
      });
      return { certPem: leaf.toString('pem'), keyPem: await keyPem(leafKeys.privateKey), serial: leafSerial };
    },
  };
}

/** Writes NAME.crt, NAME.key (mode 0600) and NAME-ca.crt into dir; returns their paths. */
export function writeIdentity(dir: string, name: string, identity: Identity, trusted: Pick<Identity, 'certPem'>): { cert: string; key: string; ca: string } {
  const files = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`), ca: path.join(dir, `${name}-ca.crt`) };
  fs.writeFileSync(files.cert, identity.certPem);
  fs.writeFileSync(files.key, identity.keyPem, { mode: 0o600 });
  fs.writeFileSync(files.ca, trusted.certPem);
  return files;
}

/**
 * A node's environment for mutual TLS with a CA of its own: its API over TLS requiring client
 * certificates signed by the CA, and its calls to peers with a client certificate of the same CA.
 */
export async function mutualTlsEnv(dir: string, caName: string): Promise<Record<string, string>> {
  const ca = await makeCa(caName);
  const server = writeIdentity(dir, 'server', await ca.issue('node', { server: true }), ca);
  const client = writeIdentity(dir, 'client', await ca.issue('peer'), ca);
  return {
    CONDUCTOR_API_TCP_INSECURE: 'false',
    CONDUCTOR_API_TLS_CERT: server.cert,
    CONDUCTOR_API_TLS_KEY: server.key,
    CONDUCTOR_API_TLS_CLIENT_CA: server.ca,
    CONDUCTOR_CLIENT_TLS_CERT: client.cert,
    CONDUCTOR_CLIENT_TLS_KEY: client.key,
    CONDUCTOR_CLIENT_TLS_CA: client.ca,
  };
}

/** Replaces a file the way a careful rotation does: write a new file beside it, then rename over it. */
export function replaceFile(file: string, content: string): void {
  const next = `${file}.next`;
  fs.writeFileSync(next, content, { mode: 0o600 });
  fs.renameSync(next, file);
}

type KeyPair = webcrypto.CryptoKeyPair;

function generateKeys(): Promise<KeyPair> {
  return webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

/** 16 random bytes, positive (RFC 5280) and without a leading zero nibble, so every tool prints it the same. */
function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return Buffer.from(bytes).toString('hex');
}
