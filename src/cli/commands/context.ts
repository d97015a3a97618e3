/**
 * What an API command runs with, and how a failed call becomes an exit status and a message.
 */
import { status } from '@grpc/grpc-js';
import type { ApiClients, UnaryOptions } from '../../api/client.js';
import { isServiceError } from '../../api/client.js';
import { ERROR_CODE_TRAILER } from '../../api/status.js';
import { EXIT } from '../exit-codes.js';

export interface CommandValues {
  full?: boolean | undefined;
  'source-node'?: string | undefined;
  source?: string | undefined;
  path?: string | undefined;
  kind?: string | undefined;
  'block-size'?: string | undefined;
  'cluster-size'?: string | undefined;
  wipe?: boolean | undefined;
  force?: boolean | undefined;
  disk?: string | undefined;
  size?: string | undefined;
  host?: string[] | undefined;
  label?: string[] | undefined;
  system?: boolean | undefined;
  timeout?: string | undefined;
  address?: string | undefined;
  replica?: string[] | undefined;
  frontend?: string | undefined;
  override?: string[] | undefined;
  wait?: boolean | undefined;
  engine?: string | undefined;
  add?: boolean | undefined;
  replace?: boolean | undefined;
  remove?: boolean | undefined;
  watch?: boolean | undefined;
  top?: string | undefined;
  volume?: string | undefined;
  snapshot?: string | undefined;
  endpoint?: string | undefined;
  region?: string | undefined;
  bucket?: string | undefined;
  prefix?: string | undefined;
  'path-style'?: boolean | undefined;
  'ca-file'?: string | undefined;
  'access-key-id-file'?: string | undefined;
  'secret-access-key-file'?: string | undefined;
  'access-key-id-env'?: string | undefined;
  'secret-access-key-env'?: string | undefined;
  'allow-mutating'?: boolean | undefined;
  'rw-iops'?: string | undefined;
  'rw-mbps'?: string | undefined;
  'r-mbps'?: string | undefined;
  'w-mbps'?: string | undefined;
}

export interface CommandContext {
  api: ApiClients;
  args: string[];
  values: CommandValues;
  json: boolean;
  /** The deadline of each unary call. */
  call: UnaryOptions;
  out(text: string): void;
}

export interface CommandSpec {
  /** "disk create", as typed. */
  name: string;
  /** Positional arguments, e.g. ['NAME']. */
  args: readonly string[];
  /** Positional arguments that may follow `args`, e.g. ['PARAMS_JSON']. */
  optionalArgs?: readonly string[];
  /** Options this command takes (besides the global ones), as in the usage line. */
  options: readonly (keyof CommandValues)[];
  usage: string;
  /**
   * Checks the command line before anything is contacted (throws UsageError); returns the work
   * to do with a connection.
   */
  prepare(values: CommandValues, args: string[]): (ctx: CommandContext) => Promise<number>;
}

const BY_STATUS: Partial<Record<status, number>> = {
  [status.INVALID_ARGUMENT]: EXIT.USAGE,
  [status.UNAVAILABLE]: EXIT.UNAVAILABLE,
  [status.DEADLINE_EXCEEDED]: EXIT.TIMEOUT,
  [status.NOT_FOUND]: EXIT.NOT_FOUND,
  [status.ALREADY_EXISTS]: EXIT.ALREADY_EXISTS,
  [status.FAILED_PRECONDITION]: EXIT.FAILED_PRECONDITION,
  [status.RESOURCE_EXHAUSTED]: EXIT.RESOURCE_EXHAUSTED,
};

export interface CallFailure {
  exitCode: number;
  /** Status name, e.g. NOT_FOUND. */
  status: string;
  /** The service's ConductorError code when it sent one. */
  code: string | undefined;
  message: string;
}

/** A TCP connection that fails may be a TLS mismatch rather than a missing service. */
const TLS_HINT = {
  plain: 'if its API requires mutual TLS, give --client-tls-cert, --client-tls-key and --client-tls-ca',
  mtls: "with mutual TLS: the server's certificate must be signed by a CA in client.tls.ca, and client.tls.cert by one in the server's api.tls.clientCa, both valid now",
} as const;

/**
 * A gRPC error as the CLI reports it; undefined for anything that is not one. `tcp` says how a TCP
 * target was called (with a client certificate or without), for the hint on a refused connection.
 */
export function callFailure(err: unknown, address: string, tcp?: 'mtls' | 'plain'): CallFailure | undefined {
  if (!isServiceError(err)) return undefined;
  const code = err.metadata.get(ERROR_CODE_TRAILER)[0];
  let message = err.details;
  if (err.code === status.UNAVAILABLE && code === undefined) {
    // grpc-js's own words for a connection failure; say which service and what to do.
    message = `cannot reach the spdk-conductor service at ${address} (${err.details.trim()}); is "spdk-conductor serve" running? (--api-socket or --address select another)`;
    if (tcp) message += `; ${TLS_HINT[tcp]}`;
  }
  return { exitCode: BY_STATUS[err.code] ?? EXIT.FAILED, status: status[err.code] ?? String(err.code), code: typeof code === 'string' ? code : undefined, message };
}
