/**
 * A TLS identity that follows its files: rotation without a restart, for the API server and for
 * clients that live as long as the service (peers).
 *
 * It is a grpc-js CertificateProvider, so grpc-js applies each update to new connections only
 * (the server's setSecureContext, the channel's next connect); connections already open keep
 * the identity they were made with. grpc-js's own FileWatcherCertificateProvider passes on
 * whatever it reads, and a pair that does not fit makes the server drop every new connection;
 * this one passes on only a set that passed checkTlsBytes and otherwise keeps the set in use,
 * logging why.
 *
 * Changes are noticed by fs.watch on the files' directories and, since a watch can miss an atomic
 * swap of a symlinked directory (how Kubernetes updates a mounted secret) or stop on a remount,
 * by re-reading the files every pollMs as well. A reload that finds the same bytes does nothing.
 */
import { type FSWatcher, watch } from 'node:fs';
import { dirname } from 'node:path';
import type { experimental } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { checkTlsBytes, readTlsBytes, readTlsFilesSync, type TlsFiles, type TlsMaterial, type TlsSummary } from './tls-files.js';

type CertificateProvider = experimental.CertificateProvider;
type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

export interface WatchedTlsOptions {
  /** Follow the files (false: read once, for a short-lived client such as the CLI). */
  watch: boolean;
  /** How often the files are re-read besides change events. */
  pollMs?: number;
}

/** A file event usually comes in a burst (write, rename, chmod): one reload after it settles. */
const SETTLE_MS = 100;

export class WatchedTls implements CertificateProvider {
  private current: TlsMaterial;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private readonly watchers: FSWatcher[] = [];
  private poll: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private lastRefusal: string | undefined;
  private closed = false;

  /** Reads and checks the files now: a ConfigError names the key and file of the first problem. */
  constructor(
    readonly files: TlsFiles,
    private readonly log: Logger,
    options: WatchedTlsOptions,
  ) {
    this.current = readTlsFilesSync(files);
    if (!options.watch) return;
    for (const dir of new Set([files.cert.path, files.key.path, files.ca.path].map((p) => dirname(p)))) {
      try {
        const watcher = watch(dir, { persistent: false }, () => this.soon());
        watcher.on('error', (err) => log.warn({ dir, err: err.message }, 'certificate directory watch failed; relying on the periodic check'));
        this.watchers.push(watcher);
      } catch (err) {
        log.warn({ dir, err: (err as Error).message }, 'cannot watch the certificate directory; relying on the periodic check');
      }
    }
    this.poll = setInterval(() => void this.reload('periodic check'), options.pollMs ?? 30_000);
    this.poll.unref();
  }

  /** The identity in use. */
  get summary(): TlsSummary {
    return this.current.summary;
  }

  /**
   * Re-reads the files; a complete, valid and different set replaces the one in use and goes to
   * every listener. Never throws: a refusal is logged (once per distinct problem).
   */
  reload(reason: string): Promise<void> {
    this.reloading ??= this.reloadOnce(reason).finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poll);
    clearTimeout(this.settle);
    for (const watcher of this.watchers.splice(0)) watcher.close();
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    process.nextTick(listener, { caCertificate: this.current.ca });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    process.nextTick(listener, { certificate: this.current.cert, privateKey: this.current.key });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  private soon(): void {
    if (this.closed || this.settle) return;
    this.settle = setTimeout(() => {
      this.settle = undefined;
      void this.reload('file changed');
    }, SETTLE_MS);
    this.settle.unref();
  }

  private async reloadOnce(reason: string): Promise<void> {
    let next: TlsMaterial;
    try {
      const bytes = await readTlsBytes(this.files);
      if (bytes.cert.equals(this.current.cert) && bytes.key.equals(this.current.key) && bytes.ca.equals(this.current.ca)) {
        this.lastRefusal = undefined;
        return;
      }
      next = checkTlsBytes(this.files, bytes);
    } catch (err) {
      const message = (err as Error).message;
      if (message !== this.lastRefusal) {
        this.log.error({ reason, err: message, inUse: this.current.summary }, 'certificate files changed but cannot be used; keeping the certificate in use');
      }
      this.lastRefusal = message;
      return;
    }
    if (this.closed) return;
    const previous = this.current.summary;
    this.current = next;
    this.lastRefusal = undefined;
    this.log.info({ reason, previous, now: next.summary }, 'certificate files reloaded; new connections use them');
    for (const listener of this.caListeners) listener({ caCertificate: next.ca });
    for (const listener of this.identityListeners) listener({ certificate: next.cert, privateKey: next.key });
  }
}
