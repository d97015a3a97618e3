/**
 * What one bdev_nvme path authenticates with: the keyring references it holds from attach to
 * detach (nvme_ctrlr's psk, dhchap_key, dhchap_ctrlr_key), the TLS PSK parsed once at attach
 * (nvme_tcp_generate_tls_credentials), and the DH-HMAC-CHAP keys in use, which
 * bdev_nvme_set_keys replaces without taking references (spdk_nvme_ctrlr_set_keys). A
 * DH-HMAC-CHAP key file is read at each authentication, so a removed or rewritten key shows at
 * the next connect.
 */
import { chapResponse, newNonce, pskBinder, sameProof, type ChapOffer, type ChapResult, type TlsOffer } from '../fabric/auth.js';
import type { Keyring, SimKey } from '../keyring/keyring.js';
import { parseDhchapKey, type Secret } from '../keyring/secrets.js';

/** The authentication part of one CONNECT (or REAUTH), and how to check the target's answer. */
export interface AuthAttempt {
  readonly nonce: string;
  readonly chap?: ChapOffer;
  readonly tls?: TlsOffer;
  /** Why the controller's answer is not acceptable (bidirectional mismatch), or null. */
  verify(result: ChapResult | undefined): string | null;
}

/** The keys an attach named, each one keyring reference held until detach. */
export interface AttachKeys {
  readonly psk: SimKey | null;
  readonly dhchapKey: SimKey | null;
  readonly dhchapCtrlrKey: SimKey | null;
}

export class HostCredentials {
  /** The DH-HMAC-CHAP keys in use (bdev_nvme_set_keys changes them). */
  dhchapKey: SimKey | null;
  dhchapCtrlrKey: SimKey | null;

  constructor(
    private readonly keyring: Keyring,
    private readonly held: AttachKeys,
    /** The PSK as parsed at attach. */
    private readonly psk: Secret | null,
    private readonly digests: readonly string[],
    private readonly dhgroups: readonly string[],
  ) {
    this.dhchapKey = held.dhchapKey;
    this.dhchapCtrlrKey = held.dhchapCtrlrKey;
  }

  /** The path's connections run TLS with a PSK. */
  get usesTls(): boolean {
    return this.psk !== null;
  }

  /** framework_get_config's key names for the attach: those it holds (bdev_nvme.c). */
  get configNames(): Record<string, string> {
    const { psk, dhchapKey, dhchapCtrlrKey } = this.held;
    return {
      ...(psk ? { psk: psk.name } : {}),
      ...(dhchapKey ? { dhchap_key: dhchapKey.name } : {}),
      ...(dhchapCtrlrKey ? { dhchap_ctrlr_key: dhchapCtrlrKey.name } : {}),
    };
  }

  private secretOf(key: SimKey | null): Secret | null {
    if (!key) return null;
    const read = this.keyring.read(key);
    return 'content' in read ? parseDhchapKey(read.content) : null;
  }

  /** A fresh attempt for a qpair of `hostnqn` to `subnqn`; `tls` only on a new connection. */
  attempt(hostnqn: string, subnqn: string, withTls: boolean): AuthAttempt {
    const nonce = newNonce();
    const secret = this.secretOf(this.dhchapKey);
    const ctrlrKey = this.dhchapCtrlrKey;
    const chap: ChapOffer | undefined =
      this.dhchapKey || ctrlrKey
        ? {
            digests: this.digests,
            dhgroups: this.dhgroups,
            bidirectional: ctrlrKey !== null,
            ...(secret ? { response: chapResponse(secret, 'host', nonce, hostnqn, subnqn) } : {}),
          }
        : undefined;
    return {
      nonce,
      ...(chap ? { chap } : {}),
      ...(withTls && this.psk ? { tls: { binder: pskBinder(this.psk, nonce, hostnqn, subnqn) } } : {}),
      verify: (result) => {
        // The target authenticated the host; a bidirectional host now checks the controller.
        if (!result || !ctrlrKey) return null;
        const ctrlrSecret = this.secretOf(ctrlrKey);
        if (!ctrlrSecret) return `failed to load DH-HMAC-CHAP ctrlr key ${ctrlrKey.name}`;
        return sameProof(result.ctrlrResponse, chapResponse(ctrlrSecret, 'ctrlr', nonce, hostnqn, subnqn)) ? null : 'controller challenge mismatch';
      },
    };
  }

  release(): void {
    this.keyring.put(this.held.psk);
    this.keyring.put(this.held.dhchapKey);
    this.keyring.put(this.held.dhchapCtrlrKey);
  }
}
