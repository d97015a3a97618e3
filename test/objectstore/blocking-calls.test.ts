/**
 * The lanes of a target's calls (src/objectstore/blocking-calls.ts): how many run at once, how a
 * caller stops waiting, what a call that returns after that is given to, and that a lane is held
 * until its call returns. The calls are promises the test settles; the service's use with a
 * filesystem that hangs is test/backup/hung-target.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ConductorError } from '../../src/errors.js';
import { BlockingCalls, SharedThreads } from '../../src/objectstore/blocking-calls.js';
import { conductorRefusal } from '../helpers/refusal.js';

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(err: Error): void } {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('BlockingCalls', () => {
  it('runs at most its lanes at once; callers past the bound fail with the reason, and the lanes stay held until the calls return', async () => {
    const calls = new BlockingCalls('file:///t', 2, 100);
    const a = deferred<string>();
    const b = deferred<string>();
    const lateValues: string[] = [];
    const first = conductorRefusal(calls.run('read a', () => a.promise, { late: (v) => lateValues.push(v) }));
    const second = conductorRefusal(calls.run('read b', () => b.promise));
    let thirdRan = false;
    const third = conductorRefusal(
      calls.run('read c', async () => {
        thirdRan = true;
        return 'c';
      }),
    );
    expect(calls.busy).toBe(2);
    const [e1, e2, e3] = await Promise.all([first, second, third]);
    for (const e of [e1, e2, e3]) expect(e.code).toBe('BACKUP_TARGET_UNREACHABLE');
    expect(e1.message).toMatch(/^backup target file:\/\/\/t: read a has not returned in 0\.1 s; 2 of its calls have not returned, the oldest \(read a\)/);
    expect(e3.message).toMatch(/read c waited 0\.1 s for one of its 2 calls at a time/);
    expect(thirdRan).toBe(false);
    // Still held: a new call waits, then fails, while the two have not returned.
    expect(calls.busy).toBe(2);
    expect((await conductorRefusal(calls.run('stat d', async () => 'd'))).message).toMatch(/stat d waited/);
    // The first returns after its caller gave up: its value goes to `late`, its lane is free.
    a.resolve('opened');
    await expect.poll(() => calls.busy).toBe(1);
    expect(lateValues).toEqual(['opened']);
    expect(await calls.run('stat e', async () => 'e')).toBe('e');
    // A late failure is dropped.
    b.reject(new Error('EIO'));
    await expect.poll(() => calls.busy).toBe(0);
    expect(e2).toBeInstanceOf(ConductorError);
  });

  it('passes a call’s own answer or failure through, and a patient call waits for a lane without a bound', async () => {
    const calls = new BlockingCalls('file:///t', 1, 100);
    expect(await calls.run('stat', async () => 42)).toBe(42);
    await expect(calls.run('unlink', async () => Promise.reject(Object.assign(new Error('gone'), { code: 'ENOENT' })))).rejects.toMatchObject({ code: 'ENOENT' });
    const held = deferred<void>();
    const holder = calls.run('fsync', () => held.promise).catch((e: unknown) => e);
    let closed = false;
    const close = calls.run(
      'close',
      async () => {
        closed = true;
      },
      { patient: true },
    );
    // Past the bound the holder's caller gave up; the patient close still waits for its lane.
    expect(await holder).toBeInstanceOf(ConductorError);
    expect(closed).toBe(false);
    held.resolve();
    await close;
    expect(closed).toBe(true);
    expect(calls.busy).toBe(0);
  });
  it('sets of lanes sharing threads hold no more than those together; a freed thread starts what waits in another set', async () => {
    const threads = new SharedThreads(2, 'filesystem targets');
    const a = new BlockingCalls('file:///a', 2, 100, undefined, threads);
    const b = new BlockingCalls('file:///b', 2, 100, undefined, threads);
    const c = new BlockingCalls('file:///c', 2, 5_000, undefined, threads);
    const hungA = deferred<void>();
    const hungB = deferred<void>();
    const firstA = conductorRefusal(a.run('statfs /a', () => hungA.promise));
    const firstB = conductorRefusal(b.run('statfs /b', () => hungB.promise));
    let ranC = false;
    // Both threads are held (one lane of a, one of b): c waits although its own lanes are free.
    const onC = c.run('statfs /c', async () => {
      ranC = true;
      return 'c';
    });
    const onA = conductorRefusal(a.run('open /a/x', async () => 'x'));
    expect(ranC).toBe(false);
    const [e1, e2, e3] = await Promise.all([firstA, firstB, onA]);
    expect(e1.message).toMatch(/statfs \/a has not returned/);
    expect(e2.message).toMatch(/statfs \/b has not returned/);
    expect(e3.message).toMatch(
      /^backup target file:\/\/\/a: open \/a\/x waited 0\.1 s for one of the 2 threads for filesystem targets; 2 of the calls for filesystem targets have not returned, the oldest \(statfs \/a\)/,
    );
    expect(ranC).toBe(false);
    // b's call returns: its thread starts c's waiting call.
    hungB.resolve();
    expect(await onC).toBe('c');
    expect(ranC).toBe(true);
    hungA.resolve();
    await expect.poll(() => a.busy + b.busy + c.busy).toBe(0);
    expect(await a.run('open /a/y', async () => 'y')).toBe('y');
  });

  it('a freed shared thread goes to the sets in turn: one path with a queue does not keep another waiting', async () => {
    const threads = new SharedThreads(2, 'filesystem targets');
    const a = new BlockingCalls('file:///a', 4, 5_000, undefined, threads);
    const b = new BlockingCalls('file:///b', 4, 5_000, undefined, threads);
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof deferred<void>>>();
    const call = (set: BlockingCalls, what: string): Promise<void> =>
      set.run(what, () => {
        started.push(what);
        const gate = deferred<void>();
        gates.set(what, gate);
        return gate.promise;
      });
    const runs = [call(a, 'a1'), call(a, 'a2'), call(a, 'a3'), call(a, 'a4'), call(b, 'b1')];
    expect(started).toEqual(['a1', 'a2']);
    // a1 returns: a's queue is served first (a was first), then a goes to the back.
    gates.get('a1')!.resolve();
    await expect.poll(() => started.length).toBe(3);
    // a2 returns, although a still has a4 waiting: b's turn.
    gates.get('a2')!.resolve();
    await expect.poll(() => started.length).toBe(4);
    expect(started).toEqual(['a1', 'a2', 'a3', 'b1']);
    for (const what of ['a3', 'b1']) gates.get(what)!.resolve();
    await expect.poll(() => started.length).toBe(5);
    gates.get('a4')!.resolve();
    await Promise.all(runs);
  });
});
