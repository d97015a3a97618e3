/**
 * What every unary handler shares: the caller's deadline and cancellation passed down to the
 * domain (so a call the client gave up on stops spending spdk_tgt time), every request held to
 * the bounds of every field before the handler reads it, and every failure, validation included,
 * ended with the mapped status.
 */
import { type Deadline, type handleUnaryCall, Metadata } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { BackupOperations, EngineDomain, NodeDomain } from '../../domain/operations.js';
import { toStatus } from '../status.js';
import { boundedRequest } from '../validate.js';
import { span } from '../../loop-trace.js';

export type DomainCallOptions = NonNullable<Parameters<NodeDomain['diskGet']>[1]>;

/** What the API serves: the node's disks, replicas and snapshots, its engines, and (where the domain has them) backups. */
export type ApiDomain = NodeDomain & EngineDomain & { readonly backups?: BackupOperations };

export interface ServiceContext {
  domain: ApiDomain;
  logger: Logger;
  /** Why answers may be stale (spdk_tgt unreachable since …), or undefined when fresh. */
  stale?: (() => string | undefined) | undefined;
}

/**
 * The trailer a List or Get answer carries when its data may be stale: the domain answers from
 * what it holds, and a caller must not take that for what spdk_tgt has now. The answer says it
 * too, in its `stale` and `stale_reason` fields and those of each object it lists.
 */
export const STALE_TRAILER = 'conductor-stale';

/** Reads: their answers come from what the service holds, so they say when that may be stale. */
function isRead(method: string): boolean {
  return method.endsWith('List') || method.endsWith('Get');
}

/** Marks a watch event's object stale (the event itself has no such field). */
export function markEventStale(event: unknown, reason: string): void {
  if (typeof event !== 'object' || event === null) return;
  for (const value of Object.values(event)) if (typeof value === 'object' && value !== null && !Array.isArray(value)) markStale(value, reason);
}

/** Marks an answer stale: itself, and each object in its lists (a watch event: its object). */
export function markStale(message: unknown, reason: string): void {
  if (typeof message !== 'object' || message === null) return;
  const fields = message as Record<string, unknown>;
  fields.stale = true;
  fields.staleReason = reason;
  for (const value of Object.values(fields)) {
    if (Array.isArray(value)) for (const item of value) if (typeof item === 'object' && item !== null) Object.assign(item, { stale: true, staleReason: reason });
  }
}

/** The time left before the caller's deadline, or undefined for none (the domain's own applies). */
export function remainingMs(call: { getDeadline(): Deadline }): number | undefined {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return undefined;
  return Math.max(1, Math.floor(at - Date.now()));
}

export function unary<Req, Res>(ctx: ServiceContext, method: string, run: (request: Req, options: DomainCallOptions) => Promise<Res>): handleUnaryCall<Req, Res> {
  const replySpan = `${method} reply`;
  return (call, callback) => {
    const controller = new AbortController();
    const onCancelled = (): void => controller.abort(new Error(`${method}: the client cancelled the call or its deadline passed`));
    call.on('cancelled', onCancelled);
    const deadlineMs = remainingMs(call);
    const options: DomainCallOptions = deadlineMs === undefined ? { signal: controller.signal } : { signal: controller.signal, deadlineMs };
    const started = performance.now();
    const checkedRun = async (): Promise<Res> => {
      boundedRequest(call.request);
      return run(call.request, options);
    };
    span(method, checkedRun).then(
      (response) => {
        call.off('cancelled', onCancelled);
        ctx.logger.debug({ method, ms: Math.round(performance.now() - started) }, 'call ok');
        const stale = isRead(method) ? ctx.stale?.() : undefined;
        if (stale === undefined) return span(replySpan, () => callback(null, response));
        markStale(response, stale);
        const trailer = new Metadata();
        trailer.set(STALE_TRAILER, stale);
        callback(null, response, trailer);
      },
      (err: unknown) => {
        call.off('cancelled', onCancelled);
        callback(toStatus(err, ctx.logger, method));
      },
    );
  };
}
