/**
 * The hashing thread of hash-pool.ts: SHA-256 of each block it is sent, in a worker so that the
 * milliseconds each 2 MiB block costs are never spent on the service's main loop.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { HashReply, HashRequest } from './hash-pool.js';

parentPort!.on('message', (request: HashRequest) => {
  let reply: HashReply;
  try {
    reply = { id: request.id, hash: createHash('sha256').update(request.data).digest('hex') };
  } catch (err) {
    reply = { id: request.id, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
