/**
 * A TCP proxy in front of the test S3 server, optionally terminating TLS with a test certificate:
 * the service's S3 client talks to it as to an S3 endpoint (https:// with `tls`). It counts the
 * connections it accepts and sees each one close, the honest observable of how many clients and
 * sockets the service holds. Each accepted connection gets its own connection upstream, closed
 * with it.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface ProxiedConnection {
  readonly id: number;
  closed: boolean;
  /** With TLS: the handshake completed (the client trusted the certificate). */
  secured: boolean;
}

export interface S3Proxy {
  readonly endpoint: string;
  readonly port: number;
  /** Every connection accepted, in order. */
  readonly connections: ProxiedConnection[];
  /** TLS handshakes the client broke off or failed, with the server's words. */
  readonly tlsErrors: string[];
  open(): ProxiedConnection[];
  close(): Promise<void>;
}

export async function startS3Proxy(upstreamPort: number, tlsIdentity?: { certPem: string; keyPem: string }): Promise<S3Proxy> {
  const connections: ProxiedConnection[] = [];
  const tlsErrors: string[] = [];
  const sockets = new Set<net.Socket>();
  const pipe = (client: net.Socket): void => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  };
  // Raw TCP connections, TLS or not: counted when accepted, marked when closed.
  const server = net.createServer((socket) => {
    const connection: ProxiedConnection = { id: connections.length + 1, closed: false, secured: false };
    connections.push(connection);
    sockets.add(socket);
    socket.on('close', () => {
      connection.closed = true;
      sockets.delete(socket);
    });
    if (!tlsIdentity) return pipe(socket);
    const secure = new tls.TLSSocket(socket, { isServer: true, cert: tlsIdentity.certPem, key: tlsIdentity.keyPem });
    secure.once('secure', () => {
      connection.secured = true;
      pipe(secure);
    });
    secure.on('error', (err: Error) => {
      if (!connection.secured) tlsErrors.push(err.message);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `${tlsIdentity ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    connections,
    tlsErrors,
    open: () => connections.filter((c) => !c.closed),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
