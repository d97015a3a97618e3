/** A pino logger whose lines a test reads back as objects. */
import { Writable } from 'node:stream';
import pino from 'pino';

export function capturedLog(level: pino.LevelWithSilent = 'debug'): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level }, sink), lines };
}
