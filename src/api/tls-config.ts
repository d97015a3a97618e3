/**
 * Which TLS files the configuration names, and what that makes of the TCP API: mutual TLS when
 * the server's three files are set, plain TCP only when api.tcpInsecure says so, otherwise no TCP
 * listener at all (the Unix socket, guarded by file permissions, remains).
 */
import type { Config } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { TlsFiles } from './tls-files.js';

export type ApiTcpSecurity = 'mtls' | 'insecure' | 'off';

export interface ApiTcpPlan {
  security: ApiTcpSecurity;
  /** The address to listen on, unless off. */
  address: string | undefined;
  /** The server's files, when mtls. */
  files: TlsFiles | undefined;
  /** Why, for the start-up log. */
  reason: string;
}

type TlsConfig = Pick<Config, 'api.tcp' | 'api.tcpInsecure' | 'api.tls.cert' | 'api.tls.key' | 'api.tls.clientCa'>;

export function apiTcpPlan(config: TlsConfig): ApiTcpPlan {
  const files = tlsFiles(config, { cert: 'api.tls.cert', key: 'api.tls.key', ca: 'api.tls.clientCa' });
  if (files && config['api.tcpInsecure']) {
    throw new ConfigError('api.tcpInsecure', 'is true and api.tls.* is set: choose one (unset api.tcpInsecure to serve TCP with mutual TLS)');
  }
  const address = config['api.tcp'] === 'off' ? undefined : config['api.tcp'];
  if (!address) return { security: 'off', address, files: undefined, reason: 'api.tcp is off' };
  if (files) return { security: 'mtls', address, files, reason: 'api.tls.* is set: mutual TLS, client certificate required' };
  if (config['api.tcpInsecure']) return { security: 'insecure', address, files: undefined, reason: 'api.tcpInsecure is set: anyone who reaches the port controls this node' };
  return { security: 'off', address: undefined, files: undefined, reason: 'no TLS configured (api.tls.cert, api.tls.key, api.tls.clientCa) and api.tcpInsecure is not set' };
}

/** The files the CLI and peers present to a TCP API, or undefined for none. */
export function clientTlsFiles(config: Pick<Config, 'client.tls.cert' | 'client.tls.key' | 'client.tls.ca'>): TlsFiles | undefined {
  return tlsFiles(config, { cert: 'client.tls.cert', key: 'client.tls.key', ca: 'client.tls.ca' });
}

/** All three keys or none: a half-configured identity is a mistake to report, not to guess around. */
function tlsFiles<K extends string>(config: Readonly<Record<K, string | undefined>>, keys: { cert: K; key: K; ca: K }): TlsFiles | undefined {
  const names = [keys.cert, keys.key, keys.ca];
  const missing = names.filter((k) => config[k] === undefined);
  if (missing.length === names.length) return undefined;
  if (missing.length > 0)
    throw new ConfigError(missing[0]!, `is not set, but ${names.filter((k) => !missing.includes(k)).join(' and ')} ${missing.length === 1 ? 'are' : 'is'}: set ${names.join(', ')} together`);
  return {
    cert: { key: keys.cert, path: config[keys.cert]! },
    key: { key: keys.key, path: config[keys.key]! },
    ca: { key: keys.ca, path: config[keys.ca]! },
  };
}
