/** A gRPC listener's Unix socket file, for the API server and the health worker's listener. */
import { lstat, mkdir, unlink } from 'node:fs/promises';
import net from 'node:net';
import { dirname } from 'node:path';
import { ConductorError } from '../errors.js';

/**
 * A socket file left by a crash would make the bind fail; one that still answers belongs to a
 * running service that must not be stolen from; anything that is not a socket is not ours.
 */
export async function prepareSocketPath(path: string, key = 'api.socket'): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const stat = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!stat) return;
  if (!stat.isSocket()) throw new ConductorError('API_SOCKET_IN_USE', `${key} ${path} exists and is not a socket; remove it or choose another path`, { path });
  if (await answers(path)) {
    throw new ConductorError('API_SOCKET_IN_USE', `${key} ${path} is in use by another process (is the service already running?)`, { path });
  }
  await removeSocket(path);
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export async function removeSocket(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
