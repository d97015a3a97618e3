/**
 * Server streams over a domain subscription (ReplicaWatch, EngineWatch). The subscription lives
 * exactly as long as the stream and ends on every path: client cancel, stream error or close, a
 * watcher too slow to keep up, server shutdown. No listener outlives its call.
 */
import type { handleServerStreamingCall, ServerWritableStream, StatusObject } from '@grpc/grpc-js';
import { build, toStatus } from '../status.js';
import { boundedRequest } from '../validate.js';
import { markEventStale, type ServiceContext } from './call.js';
import { span } from '../../loop-trace.js';

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

export interface WatchOptions {
  watches: WatchRegistry;
  /**
   * Events a watch stream may hold unsent before it is ended with RESOURCE_EXHAUSTED: a watcher
   * that stopped reading must not grow the service's memory without bound.
   */
  maxBufferedEvents: number;
}

export interface WatchSource<Event, Message> {
  /** The RPC's name, for logs and statuses. */
  method: string;
  /** The domain's subscribe: delivers events to `listener` (perhaps before it returns) until the returned function is called. */
  subscribe(listener: (event: Event) => void): () => void;
  toMessage(event: Event): Message;
}

export function watchHandler<Request, Event, Message>(ctx: ServiceContext, options: WatchOptions, source: WatchSource<Event, Message>): handleServerStreamingCall<Request, Message> {
  return (call: ServerWritableStream<Request, Message>) => {
    const log = ctx.logger.child({ method: source.method, peer: call.getPeer() });
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
    try {
      boundedRequest(call.request);
    } catch (err) {
      end(toStatus(err, log, source.method));
      return;
    }

    call.on('cancelled', () => finish('cancelled by the client'));
    call.on('error', () => finish('stream error'));
    call.on('close', () => finish('stream closed'));
    call.on('finish', () => finish('stream finished'));

    const listener = (event: Event): void => {
      if (finished) return;
      if (call.writableLength >= options.maxBufferedEvents) {
        end(build('WATCH_OVERRUN', `the watcher fell ${call.writableLength} events behind; read faster, then watch again (the new stream starts with the full list)`));
        return;
      }
      try {
        const message = source.toMessage(event);
        const stale = ctx.stale?.();
        if (stale !== undefined) markEventStale(message, stale);
        call.write(message);
      } catch (err) {
        end(toStatus(err, ctx.logger, source.method));
      }
    };

    try {
      unsubscribe = span(`${source.method} subscribe`, () => source.subscribe(listener));
    } catch (err) {
      end(toStatus(err, ctx.logger, source.method));
      return;
    }
    // The initial list may be delivered, and may overflow, before subscribe returns.
    if (finished) {
      const stop = unsubscribe;
      unsubscribe = undefined;
      stop();
    }
  };
}
