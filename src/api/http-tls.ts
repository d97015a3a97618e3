/**
 * The HTTP listener's TLS, from the API's certificate files (api.tls.*): the same identity as the
 * gRPC API, following rotation (each new set WatchedTls accepts becomes the server's secure
 * context for new connections). A client certificate is asked for and checked against
 * api.tls.clientCa but not required at the handshake: kubelet's HTTPS probes present none, so
 * /livez and /readyz answer without one, and /metrics (what the node runs) requires one, as the API does.
 */
import type { SecureContextOptions } from 'node:tls';
import type { WatchedTls } from './watched-tls.js';

export interface HttpTls {
  /** The identity in use now, once both listeners have said it. */
  readonly initial: Promise<SecureContextOptions>;
  /** Stops following the files. */
  close(): void;
}

export function followHttpTls(tls: WatchedTls, onChange: (context: SecureContextOptions) => void): HttpTls {
  let cert: Buffer | null = null;
  let key: Buffer | null = null;
  let ca: Buffer | null = null;
  let ready: (context: SecureContextOptions) => void = () => undefined;
  let started = false;
  const initial = new Promise<SecureContextOptions>((resolve) => {
    ready = resolve;
  });
  const changed = (): void => {
    if (!cert || !key || !ca) return;
    const context = { cert, key, ca };
    if (started) onChange(context);
    else {
      started = true;
      ready(context);
    }
  };
  // WatchedTls never withdraws an identity (it keeps the set in use): a null update changes nothing.
  const onIdentity = (update: { certificate: Buffer; privateKey: Buffer } | null): void => {
    if (!update) return;
    cert = update.certificate;
    key = update.privateKey;
    changed();
  };
  const onCa = (update: { caCertificate: Buffer } | null): void => {
    if (!update) return;
    ca = update.caCertificate;
    changed();
  };
  tls.addIdentityCertificateListener(onIdentity);
  tls.addCaCertificateListener(onCa);
  return {
    initial,
    close() {
      tls.removeIdentityCertificateListener(onIdentity);
      tls.removeCaCertificateListener(onCa);
    },
  };
}
