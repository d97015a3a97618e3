/**
 * An S3-compatible target (AWS S3, MinIO, Ceph RGW) through the AWS SDK v3: one S3Client per
 * target, made once, reused by every job and destroyed by close(). The SDK's own retries are off
 * (maxAttempts 1): the backup jobs retry with their own budget (p-retry), so "unreachable past its
 * retry budget" is one number, not two multiplied. Objects larger than a part go up as a multipart
 * upload (lib-storage Upload), which aborts its upload on failure; ones a killed process left are
 * found by ListMultipartUploads and aborted at the next start, of this service's keys only.
 */
import type { Credentials, CredentialsProvider } from './file-credentials.js';
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { Agent as HttpAgent } from 'node:http';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { endpointLookups, type EndpointLookups } from './endpoint-lookup.js';
import { checkKey, type ObjectStore, type StoredObject } from './object-store.js';

export interface S3StoreOptions {
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  /** Keys are stored under it ('' or ending in '/'). */
  prefix: string;
  forcePathStyle: boolean;
  /** PEM CAs to trust for the endpoint's TLS certificate, besides none else. */
  caPem?: string | undefined;
  /** Fixed credentials, or a provider the SDK asks at each signing (credentials from files: file-credentials.ts). */
  credentials?: Credentials | CredentialsProvider | undefined;
  /** A request (connect included) that takes longer fails, so a dead endpoint is seen within the retry budget. */
  requestTimeoutMs: number;
  /** Parts of a multipart upload (default PART_BYTES; S3's least is 5 MiB): tests make manifests go up in parts. */
  partBytes?: number;
  /** The endpoint's name lookups (default: the process's, endpoint-lookup.ts); tests give a dead resolver. */
  lookups?: EndpointLookups;
}

/** Parts of a multipart upload; objects smaller than this go up in one PUT. */
export const PART_BYTES = 8 * 1024 * 1024;

export class S3Store implements ObjectStore {
  readonly description: string;
  private readonly client: S3Client;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partBytes: number;
  private closed = false;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.partBytes = options.partBytes ?? PART_BYTES;
    this.description = `s3://${options.bucket}/${options.prefix}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
    const https = options.endpoint === undefined || options.endpoint.startsWith('https:');
    // keepAlive: one pool of connections per target, reused; maxSockets bounds what a burst opens.
    // The endpoint's name is looked up in bounded, shared lanes (a dead resolver holds pool threads).
    const lookup = (options.lookups ?? endpointLookups).forConnections(options.requestTimeoutMs);
    this.agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: 16, lookup, ...(options.caPem ? { ca: options.caPem } : {}) }) : new HttpAgent({ keepAlive: true, maxSockets: 16, lookup });
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: 1,
      // S3-compatible servers do not all know the SDK's newer default checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: https
        ? { httpsAgent: this.agent as HttpsAgent, connectionTimeout: options.requestTimeoutMs, requestTimeout: options.requestTimeoutMs, throwOnRequestTimeout: true }
        : { httpAgent: this.agent as HttpAgent, connectionTimeout: options.requestTimeoutMs, requestTimeout: options.requestTimeoutMs, throwOnRequestTimeout: true },
    });
  }

  /** Reads the CA bundle named by a target's spec. */
  static readCa(file: string | undefined): string | undefined {
    return file === undefined ? undefined : readFileSync(file, 'utf8');
  }

  private key(key: string): string {
    return `${this.prefix}${checkKey(key)}`;
  }

  async put(key: string, body: Buffer, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const upload = new Upload({ client: this.client, params: { Bucket: this.bucket, Key: this.key(key), Body: body }, partSize: this.partBytes, queueSize: 2, leavePartsOnError: false });
    const onAbort = (): void => void upload.abort().catch(() => undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** An acknowledged PUT is durable under its key: nothing to sync. */
  async syncNames(): Promise<void> {}

  async get(key: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }), { abortSignal: signal });
      if (!answer.Body) return Buffer.alloc(0);
      return Buffer.from(await answer.Body.transformToByteArray());
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
  }

  async getInto(key: string, into: Buffer, signal?: AbortSignal): Promise<number | undefined> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }), { abortSignal: signal });
      if (!answer.Body) return 0;
      // The body as it arrives, each chunk copied into place: the socket is read no faster than this.
      const body = answer.Body as Readable;
      let size = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (size < into.length) chunk.copy(into, size, 0, Math.min(chunk.length, into.length - size));
        size += chunk.length;
      }
      return size;
    } catch (err) {
      if (notFound(err)) return undefined;
      throw err;
    }
  }

  async exists(key: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }), { abortSignal: signal });
      return true;
    } catch (err) {
      if (notFound(err)) return false;
      throw err;
    }
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }), { abortSignal: signal });
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<StoredObject> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix}${prefix}`, ContinuationToken: token }), { abortSignal: signal });
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        yield { key: item.Key.slice(this.prefix.length), sizeBytes: item.Size ?? 0, modifiedMs: item.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * Only this service's keys under its prefix: with prefix '' the listing is the whole bucket's,
   * and a prefix may be shared with other writers. (Another node writing under the same prefix
   * could lose an upload it has in flight; its put fails and is retried within its budget.)
   */
  async abortOrphanUploads(own: (key: string) => boolean, signal?: AbortSignal): Promise<number> {
    let aborted = 0;
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    do {
      const page = await this.client
        .send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix || undefined, KeyMarker: keyMarker, UploadIdMarker: idMarker }), { abortSignal: signal })
        .catch((err: unknown) => {
          // A server without the listing (s3rver answers 501) keeps no upload this could find.
          if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 501) return undefined;
          throw err;
        });
      if (!page) return aborted;
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || !upload.Key.startsWith(this.prefix) || !own(upload.Key.slice(this.prefix.length))) continue;
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId }), { abortSignal: signal });
        aborted++;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      idMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return aborted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
    this.agent.destroy();
  }
}

function notFound(err: unknown): boolean {
  if (err instanceof S3ServiceException) return err.$metadata.httpStatusCode === 404 || err.name === 'NoSuchKey' || err.name === 'NotFound';
  return false;
}
