/**
 * The forms of the configuration's string values that no shared rule of src/validation/ covers:
 * where the service listens and what it opens. Each returns why a value is malformed, or undefined,
 * and says the expected form, because the message is all an operator sees before the exit.
 */
import net from 'node:net';
import { splitHostPort } from '../validation/network.js';
import { hasControlCharacter, quoted } from '../validation/text.js';

/** sockaddr_un's sun_path is 108 bytes with its NUL: a longer path fails only at bind or connect. */
const UNIX_SOCKET_PATH_MAX_BYTES = 107;

/**
 * An IPv4 unicast address. Replica exports listen, and engines attach, with adrfam ipv4, so an
 * IPv6 address would pass here and fail at the first export inside spdk_tgt; and engines of other
 * nodes connect to this address, so "any" (0.0.0.0), broadcast and multicast are refused. Whether
 * the address is one of this host's is not checked: spdk_tgt, not this service, binds it (it may
 * run in another network namespace), and an address that comes up after the service starts must
 * not turn a boot race into a crash loop; spdk_tgt's refusal names the address at the first export.
 */
export function exportAddressProblem(value: string): string | undefined {
  const expected = "expected the IPv4 address of this node's storage network (e.g. 192.0.2.10)";
  if (net.isIPv6(value)) return `${quoted(value)} is IPv6; exports listen on IPv4 only: ${expected}`;
  if (!net.isIPv4(value)) return `${quoted(value)} is not an IPv4 address; ${expected}`;
  const first = Number(value.split('.')[0]);
  if (value === '0.0.0.0' || value === '255.255.255.255' || (first >= 224 && first <= 239)) {
    return `${quoted(value)} is not an address other nodes can connect to; ${expected}`;
  }
  return undefined;
}

/**
 * "off", or host:port / [v6]:port where the host is an IP address or a host name and the port is
 * 0 (any free port) to 65535. A literal that looks like an IPv4 address must be one: grpc-js would
 * hand 999.1.1.1 to DNS and fail only when it listens.
 */
export function listenAddressProblem(value: string): string | undefined {
  const expected = 'expected host:port or [v6]:port with an IP address or host name and a port from 0 to 65535, or off';
  if (value === 'off') return undefined;
  const parts = splitHostPort(value);
  if (!parts) return `${quoted(value)} is not host:port; ${expected}`;
  const { host } = parts;
  if (value.startsWith('[') ? !net.isIPv6(host) : /^[\d.]+$/.test(host) ? !net.isIPv4(host) : !HOST_NAME.test(host)) {
    return `${quoted(host)} is not an IP address or host name; ${expected}`;
  }
  return undefined;
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** A Unix socket path that bind and connect accept. */
export function socketPathProblem(value: string): string | undefined {
  if (hasControlCharacter(value)) return `${quoted(value)} holds a control character; expected a file system path`;
  const bytes = Buffer.byteLength(value);
  if (bytes > UNIX_SOCKET_PATH_MAX_BYTES) return `${quoted(value)} is ${bytes} bytes long; a Unix socket path is at most ${UNIX_SOCKET_PATH_MAX_BYTES}`;
  if (value.endsWith('/')) return `${quoted(value)} is a directory; expected the socket's file path`;
  return undefined;
}

/** A file the service writes (the state file); whether it can be written is checked at start. */
export function filePathProblem(value: string): string | undefined {
  if (hasControlCharacter(value)) return `${quoted(value)} holds a control character; expected a file system path`;
  if (value.endsWith('/')) return `${quoted(value)} is a directory; expected a file path`;
  return undefined;
}
