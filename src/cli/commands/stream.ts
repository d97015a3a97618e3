/**
 * Following a watch stream from the command line: every event printed as it comes (a line for
 * people, one JSON object per line for scripts) until the user interrupts (exit 0) or the service
 * ends the stream (its status becomes the exit code, like any failed call).
 */
import { status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { EXIT } from '../exit-codes.js';
import type { CommandContext } from './context.js';

export function follow<Event>(ctx: CommandContext, stream: ClientReadableStream<Event>, line: (event: Event) => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const signal = ctx.call.signal;
    const interrupt = (): void => stream.cancel();
    if (signal?.aborted) interrupt();
    signal?.addEventListener('abort', interrupt, { once: true });
    let staleSaid = '';
    stream.on('data', (event: Event) => {
      // Said on stderr once per reason, so stdout stays one event per line.
      const stale = staleReasonOf(event);
      if (stale !== staleSaid && stale !== '') process.stderr.write(`spdk-conductor: warning: these events may be stale: ${stale}\n`);
      staleSaid = stale;
      ctx.out(ctx.json ? JSON.stringify(event) + '\n' : line(event));
    });
    stream.on('error', (err: ServiceError) => {
      signal?.removeEventListener('abort', interrupt);
      if (err.code === status.CANCELLED && signal?.aborted) resolve(EXIT.OK);
      else reject(err);
    });
    stream.on('status', (end: { code: number }) => {
      if (end.code !== status.OK) return;
      signal?.removeEventListener('abort', interrupt);
      resolve(EXIT.OK);
    });
  });
}

/** The stale reason an event's object carries, or ''. */
function staleReasonOf(event: unknown): string {
  for (const value of Object.values(event as Record<string, unknown>)) {
    const reason = (value as { staleReason?: unknown } | null)?.staleReason;
    if (typeof reason === 'string' && reason !== '') return reason;
  }
  return '';
}

/** An event line: when it arrived, its type, what it is about, and why. */
export function eventLine(type: string, what: string, reason: string): string {
  return `${new Date().toISOString()}  ${type.padEnd(8)}  ${what}${reason ? `  (${reason})` : ''}\n`;
}
