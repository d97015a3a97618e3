/**
 * spdk.conductor.v1.Replicas. ReplicaWatch is a server stream over NodeDomain.replicaWatch: the
 * subscription lives exactly as long as the stream, and ends on every path (client cancel, stream
 * error or close, a watcher too slow to keep up, server shutdown), so no listener outlives its call.
 */
import { status as Status, type handleServerStreamingCall, type ServerWritableStream, type StatusObject } from '@grpc/grpc-js';
import type { ReplicaEvent as DomainReplicaEvent } from '../../domain/model.js';
import type { Replica } from '../generated/spdk/conductor/v1/Replica.js';
import type { ReplicaCreateRequest__Output } from '../generated/spdk/conductor/v1/ReplicaCreateRequest.js';
import type { ReplicaDeleteRequest__Output } from '../generated/spdk/conductor/v1/ReplicaDeleteRequest.js';
import type { ReplicaDeleteResponse } from '../generated/spdk/conductor/v1/ReplicaDeleteResponse.js';
import type { ReplicaEvent } from '../generated/spdk/conductor/v1/ReplicaEvent.js';
import type { ReplicaExpandRequest__Output } from '../generated/spdk/conductor/v1/ReplicaExpandRequest.js';
import type { ReplicaExposeRequest__Output } from '../generated/spdk/conductor/v1/ReplicaExposeRequest.js';
import type { ReplicaGetRequest__Output } from '../generated/spdk/conductor/v1/ReplicaGetRequest.js';
import type { ReplicaListRequest__Output } from '../generated/spdk/conductor/v1/ReplicaListRequest.js';
import type { ReplicaListResponse } from '../generated/spdk/conductor/v1/ReplicaListResponse.js';
import type { ReplicasHandlers } from '../generated/spdk/conductor/v1/Replicas.js';
import type { ReplicaUnexposeRequest__Output } from '../generated/spdk/conductor/v1/ReplicaUnexposeRequest.js';
import type { ReplicaWatchRequest__Output } from '../generated/spdk/conductor/v1/ReplicaWatchRequest.js';
import { replicaEventMessage, replicaMessage } from '../messages.js';
import { build, toStatus } from '../status.js';
import * as check from '../validate.js';
import { unary, type ServiceContext } from './call.js';

/** Open watch streams, so shutdown can end them instead of waiting on clients that never leave. */
export class WatchRegistry {
  readonly #ends = new Set<(status: Partial<StatusObject>) => void>();

  add(end: (status: Partial<StatusObject>) => void): () => void {
    this.#ends.add(end);
    return () => this.#ends.delete(end);
  }

  get size(): number {
    return this.#ends.size;
  }

  endAll(status: Partial<StatusObject>): void {
    for (const end of [...this.#ends]) end(status);
  }
}

export interface ReplicasOptions {
  watches: WatchRegistry;
  /**
   * Events a watch stream may hold unsent before it is ended with RESOURCE_EXHAUSTED: a watcher
   * that stopped reading must not grow the service's memory without bound.
   */
  maxBufferedEvents: number;
}

export function replicasHandlers(ctx: ServiceContext, options: ReplicasOptions): ReplicasHandlers {
  const { domain } = ctx;
  return {
    ReplicaCreate: unary<ReplicaCreateRequest__Output, Replica>(ctx, 'ReplicaCreate', async (request, call) => {
      const name = check.name('replica', 'name', request.name);
      const diskName = check.name('disk', 'disk_name', request.diskName);
      const sizeBytes = check.sizeBytes('size_bytes', request.sizeBytes);
      return replicaMessage(await domain.replicaCreate(name, diskName, sizeBytes, call));
    }),
    ReplicaGet: unary<ReplicaGetRequest__Output, Replica>(ctx, 'ReplicaGet', async (request, call) =>
      replicaMessage(await domain.replicaGet(check.name('replica', 'name', request.name), call)),
    ),
    ReplicaList: unary<ReplicaListRequest__Output, ReplicaListResponse>(ctx, 'ReplicaList', async (request, call) => ({
      replicas: (await domain.replicaList(check.optionalName('disk', 'disk_name', request.diskName), call)).map(replicaMessage),
    })),
    ReplicaExpand: unary<ReplicaExpandRequest__Output, Replica>(ctx, 'ReplicaExpand', async (request, call) => {
      const name = check.name('replica', 'name', request.name);
      const sizeBytes = check.sizeBytes('size_bytes', request.sizeBytes);
      return replicaMessage(await domain.replicaExpand(name, sizeBytes, call));
    }),
    ReplicaDelete: unary<ReplicaDeleteRequest__Output, ReplicaDeleteResponse>(ctx, 'ReplicaDelete', async (request, call) => {
      await domain.replicaDelete(check.name('replica', 'name', request.name), call);
      return {};
    }),
    ReplicaExpose: unary<ReplicaExposeRequest__Output, Replica>(ctx, 'ReplicaExpose', async (request, call) => {
      const name = check.name('replica', 'name', request.name);
      const hostNqns = check.hostNqns('host_nqns', request.hostNqns);
      return replicaMessage(await domain.replicaExpose(name, hostNqns, call));
    }),
    ReplicaUnexpose: unary<ReplicaUnexposeRequest__Output, Replica>(ctx, 'ReplicaUnexpose', async (request, call) =>
      replicaMessage(await domain.replicaUnexpose(check.name('replica', 'name', request.name), call)),
    ),
    ReplicaWatch: watchHandler(ctx, options),
  };
}

function watchHandler(ctx: ServiceContext, options: ReplicasOptions): handleServerStreamingCall<ReplicaWatchRequest__Output, ReplicaEvent> {
  return (call: ServerWritableStream<ReplicaWatchRequest__Output, ReplicaEvent>) => {
    const log = ctx.logger.child({ method: 'ReplicaWatch', peer: call.getPeer() });
    let unsubscribe: (() => void) | undefined;
    let finished = false;

    const finish = (why: string): void => {
      if (finished) return;
      finished = true;
      unregister();
      const stop = unsubscribe;
      unsubscribe = undefined;
      stop?.();
      log.debug({ why }, 'watch ended');
    };
    const end = (status: Partial<StatusObject>): void => {
      if (finished) return;
      finish(status.details ?? 'ended');
      // grpc-js turns an 'error' event on a server stream into the call's final status.
      call.emit('error', status);
    };
    const unregister = options.watches.add(end);

    call.on('cancelled', () => finish('cancelled by the client'));
    call.on('error', () => finish('stream error'));
    call.on('close', () => finish('stream closed'));
    call.on('finish', () => finish('stream finished'));

    const listener = (event: DomainReplicaEvent): void => {
      if (finished) return;
      if (call.writableLength >= options.maxBufferedEvents) {
        end(
          build(
            Status.RESOURCE_EXHAUSTED,
            'RESOURCE_EXHAUSTED',
            `the watcher fell ${call.writableLength} events behind; read faster, then watch again (the new stream starts with the full list)`,
          ),
        );
        return;
      }
      try {
        call.write(replicaEventMessage(event));
      } catch (err) {
        end(toStatus(err, ctx.logger, 'ReplicaWatch'));
      }
    };

    try {
      unsubscribe = ctx.domain.replicaWatch(listener);
    } catch (err) {
      end(toStatus(err, ctx.logger, 'ReplicaWatch'));
      return;
    }
    // The initial list may be delivered, and may overflow, before replicaWatch returns.
    if (finished) {
      const stop = unsubscribe;
      unsubscribe = undefined;
      stop();
    }
  };
}
