/**
 * Where things listen and connect: TCP ports, the addresses of replicas' exports, and the
 * host:port of a service's API.
 */
import { HOST_NAME_MAX } from './limits.js';
import { quoted } from './text.js';

export const TCP_PORT_MIN = 1;
export const TCP_PORT_MAX = 65_535;

/** Why `value` is not a TCP port one can connect to, or undefined when it is. */
export function portProblem(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < TCP_PORT_MIN || value > TCP_PORT_MAX) {
    return `${String(value)} is not a TCP port; use ${TCP_PORT_MIN} to ${TCP_PORT_MAX}`;
  }
  return undefined;
}

/** host:port or [v6]:port, as the API's TCP addresses are written (api.tcp, api_address, api=, --address). */
const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/;

/**
 * The host (brackets removed) and port 0–65535, or undefined when the text is not of that shape.
 * Port 0 passes: a listener may ask for any free port; connecting callers add portProblem.
 */
export function splitHostPort(value: string): { host: string; port: number } | undefined {
  const match = HOST_PORT.exec(value);
  const port = match ? Number(match[3]) : NaN;
  return match && port <= TCP_PORT_MAX ? { host: (match[1] ?? match[2])!, port } : undefined;
}

/** RFC 1123 labels joined by dots. */
const HOST_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * Why `value` is not where a replica's export can be reached, or undefined: an IPv4 address or a
 * host name. Engines attach with adrfam ipv4, so an IPv6 address would only fail later, inside
 * spdk_tgt.
 */
export function replicaAddressProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return "the address of the replica's export is required";
  if (value.includes(':')) return `${quoted(value)}: IPv6 is not supported for replicas; use an IPv4 address or a host name`;
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (octets) return octets.slice(1).some((o) => Number(o) > 255) ? `${quoted(value)} is not an IPv4 address` : undefined;
  if (value.length > HOST_NAME_MAX || !HOST_NAME_PATTERN.test(value) || /^[\d.]+$/.test(value)) {
    return `${quoted(value)} is not an IPv4 address or a host name`;
  }
  return undefined;
}

/** Why `value` is not the host:port of a peer node's API (a replica address and a port), or undefined. */
export function apiAddressProblem(value: string): string | undefined {
  const parts = splitHostPort(value);
  if (!parts) return `${quoted(value)} is not host:port`;
  return replicaAddressProblem(parts.host) ?? portProblem(parts.port);
}
