/**
 * Requests whose bytes do not decode. grpc-js ends a call whose deserializer throws with INTERNAL,
 * which tells a caller (and an alert) that the service is broken when it was the request that
 * was: truncated bytes, a wrong wire type, or a varint wider than its field, which protobufjs
 * refuses for a uint32. Every method of the API gets a deserializer that never throws and hands
 * such a request to the handler as a marker, which the edge refuses as INVALID_ARGUMENT like any
 * other bad input (src/api/validate.ts boundedRequest; the watch handler for streams).
 */
import type { ServiceDefinition } from '@grpc/grpc-js';

const UNDECODABLE = Symbol('undecodable request');

interface Undecodable {
  readonly [UNDECODABLE]: string;
}

/** `service` with each method's request deserializer made tolerant (see the module's comment). */
export function tolerantService<S extends ServiceDefinition>(service: S): S {
  const wrapped: Record<string, unknown> = {};
  for (const [method, definition] of Object.entries(service)) {
    const decode = definition.requestDeserialize;
    wrapped[method] = {
      ...definition,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return decode(bytes);
        } catch (err) {
          return { [UNDECODABLE]: (err as Error).message } satisfies Undecodable;
        }
      },
    };
  }
  return wrapped as S;
}

/** Why the request could not be decoded, or undefined for a decoded one. */
export function undecodableReason(request: unknown): string | undefined {
  return typeof request === 'object' && request !== null && UNDECODABLE in request ? (request as Undecodable)[UNDECODABLE] : undefined;
}
