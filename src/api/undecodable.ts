/**
 * Requests whose bytes do not decode. grpc-js ends a call whose deserializer throws with INTERNAL,
 * which tells a caller (and an alert) that the service is broken when it was the request that
 * was: truncated bytes, a wrong wire type, or a varint wider than its field, which protobufjs
 * refuses for a uint32. Every method of the API gets a deserializer that never throws and hands
 * such a request to the handler as a marker, which the edge refuses as INVALID_ARGUMENT like any
 * other bad input (src/api/validate.ts boundedRequest; the watch handler for streams).
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { PACKAGE } from './proto.js';
import type { OverBound, WireBounds } from './wire-bounds.js';

const UNDECODABLE = Symbol('undecodable request');
const OVER_BOUND = Symbol('request past a bound');

interface Undecodable {
  readonly [UNDECODABLE]: string;
}

interface PastBound {
  readonly [OVER_BOUND]: OverBound;
}

/**
 * `service` with each method's request deserializer made tolerant (see the module's comment) and,
 * with `bounds`, refusing a request whose bytes break a bound before decoding them (wire-bounds.ts).
 */
export function tolerantService<S extends ServiceDefinition>(service: S, bounds?: WireBounds): S {
  const wrapped: Record<string, unknown> = {};
  for (const [method, definition] of Object.entries(service)) {
    const decode = definition.requestDeserialize;
    // proto-loader's method definitions carry the request's descriptor; its name is package-relative.
    const requestName = (definition as { requestType?: { type?: { name?: string } } }).requestType?.type?.name;
    const typeName = requestName === undefined ? undefined : `${PACKAGE}.${requestName}`;
    wrapped[method] = {
      ...definition,
      requestDeserialize: (bytes: Buffer): unknown => {
        const over = bounds && typeName !== undefined ? bounds.check(typeName, bytes) : undefined;
        if (over) return { [OVER_BOUND]: over } satisfies PastBound;
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

/** The bound the request's bytes broke, found before decoding, or undefined. */
export function overBound(request: unknown): OverBound | undefined {
  return typeof request === 'object' && request !== null && OVER_BOUND in request ? (request as PastBound)[OVER_BOUND] : undefined;
}

/** Why the request could not be decoded, or undefined for a decoded one. */
export function undecodableReason(request: unknown): string | undefined {
  return typeof request === 'object' && request !== null && UNDECODABLE in request ? (request as Undecodable)[UNDECODABLE] : undefined;
}
