/** ResumePacing and resumeEach (src/domain/node/resume-pacing.ts) on a hand-set clock. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ResumePacing, resumeEach } from '../../../src/domain/node/resume-pacing.js';

describe('ResumePacing', () => {
  it('doubles the wait after each failure up to the bound, and starts over after a success', () => {
    let now = 0;
    const pacing = new ResumePacing(1_000, 5_000, () => now);
    expect(pacing.due('e')).toBe(true);
    expect([pacing.failed('e'), pacing.failed('e'), pacing.failed('e'), pacing.failed('e')]).toEqual([1_000, 2_000, 4_000, 5_000]);
    now = 4_999;
    expect(pacing.due('e')).toBe(false);
    now = 5_000;
    expect(pacing.due('e')).toBe(true);
    pacing.clear('e');
    expect(pacing.failed('e')).toBe(1_000);
  });

  it('resumeEach skips what is not due when paced, tries everything when not, and forgets what is no longer unfinished', async () => {
    let now = 0;
    const pacing = new ResumePacing(1_000, 60_000, () => now);
    const tried: string[] = [];
    const failing = new Set(['a']);
    const resume = async (engine: string): Promise<void> => {
      tried.push(engine);
      if (failing.has(engine)) throw new Error(`${engine} refused`);
    };
    const log = pino({ level: 'silent' });
    const subject = { kind: 'engine', what: 'revert', orOperator: 'call it' } as const;
    const both = [
      { name: 'a', detail: {} },
      { name: 'b', detail: {} },
    ];
    await resumeEach(log, pacing, subject, both, true, resume);
    expect(tried).toEqual(['a', 'b']);
    // a waits 1 s; b succeeded and is tried whenever it is listed.
    await resumeEach(log, pacing, subject, both, true, resume);
    expect(tried).toEqual(['a', 'b', 'b']);
    // Not paced (a start, a reconcile): a is tried although its wait is not over.
    await resumeEach(log, pacing, subject, both, false, resume);
    expect(tried).toEqual(['a', 'b', 'b', 'a', 'b']);
    expect(pacing.due('a')).toBe(false);
    // a finished by a call: no longer listed, its failures forgotten.
    await resumeEach(log, pacing, subject, [{ name: 'b', detail: {} }], true, resume);
    expect(pacing.due('a')).toBe(true);
    now = 10_000;
    failing.clear();
    await resumeEach(log, pacing, subject, both, true, resume);
    expect(tried.slice(-2)).toEqual(['a', 'b']);
  });
});
