/** host:port or [v6]:port, as the API's TCP addresses are written (api.tcp, api_address, api=). */
const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/;

/** The host (brackets removed) and port 0–65535, or undefined when the text is not of that shape. */
export function splitHostPort(value: string): { host: string; port: number } | undefined {
  const match = HOST_PORT.exec(value);
  const port = match ? Number(match[3]) : NaN;
  return match && port <= 65_535 ? { host: (match[1] ?? match[2])!, port } : undefined;
}
