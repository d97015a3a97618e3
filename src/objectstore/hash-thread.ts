/**
 * A block thread of hash-pool.ts: SHA-256 of a block, and its LZ4 frame both ways, in a worker so
 * that the milliseconds each 2 MiB block costs are never spent on the service's main loop. Blocks
 * in shared slots (block-buffers.ts) are worked on in place; other bytes arrive as a copy.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { ThreadReply, ThreadRequest } from './hash-pool.js';
import { decodeFrameInto, frameInSlot } from './lz4-frame.js';

const memories = new Map<number, SharedArrayBuffer>();
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

function view(set: number, offset: number, length: number): Buffer {
  const memory = memories.get(set);
  if (!memory) throw new Error(`block buffers ${set} are not known to this thread`);
  return Buffer.from(memory, offset, length);
}

function run(request: ThreadRequest): ThreadReply | undefined {
  switch (request.op) {
    case 'memory':
      memories.set(request.set, request.memory);
      return undefined;
    case 'hash':
      return { id: request.id, hash: sha256(request.data) };
    case 'hash-shared':
      return { id: request.id, hash: sha256(view(request.set, request.offset, request.length)) };
    case 'frame': {
      const frame = frameInSlot(view(request.set, request.offset, request.length), request.headroom, request.blockLength);
      return { id: request.id, offset: frame.byteOffset, length: frame.length };
    }
    case 'hash-frame': {
      const slot = view(request.set, request.offset, request.length);
      // Hashed before the frame goes over the block's bytes.
      const hash = sha256(slot.subarray(request.headroom, request.headroom + request.blockLength));
      const frame = frameInSlot(slot, request.headroom, request.blockLength);
      return { id: request.id, hash, offset: frame.byteOffset, length: frame.length };
    }
    case 'decode': {
      const data = decodeFrameInto(view(request.set, request.offset, request.length), view(request.set, request.out, request.outLength));
      return { id: request.id, hash: sha256(data), offset: data.byteOffset, length: data.length };
    }
  }
}

parentPort!.on('message', (request: ThreadRequest) => {
  let reply: ThreadReply | undefined;
  try {
    reply = run(request);
  } catch (err) {
    reply = { id: 'id' in request ? request.id : -1, error: (err as Error).message };
  }
  if (reply) parentPort!.postMessage(reply);
});
