/**
 * /metrics in the health worker's thread: a scrape asks the main thread for a fresh render and
 * waits for it at most `waitMs` (metrics.scrapeWaitMs); past that it is answered with the last
 * complete exposition, if that is at most `maxAgeMs` old (metrics.scrapeMaxAgeSec), and the
 * fresh render, when it comes, replaces it for the next scrape. With none yet (the first scrape
 * after a start, or after the source changed), one too old, or `waitMs` 0, the scrape waits for
 * the fresh render (up to `timeoutMs`, then 503), as every scrape did before.
 *
 * Every answer ends with two families written here: `spdk_conductor_metrics_render_age_seconds`
 * (from the main thread taking the render's request to this answer: a few ms when fresh) and
 * `spdk_conductor_metrics_stale_answers_total` (kept in the main thread's shared memory, so a
 * restarted thread counts on).
 *
 * Renders are asked one at a time: a scrape that arrives while one is being rendered waits for the
 * next one, asked when that ends (scrapes arriving meanwhile share it), so an answer is never
 * rendered from a request made before the scrape arrived unless it says it is stale. Renders end
 * in the order they were asked (the main thread answers its messages in order), and the cache only
 * moves forward, so one scraper's counters never go back.
 */
import type { MetricsText } from './health-http.js';
import { monoMs, type ScrapeMarks } from './health-worker-messages.js';

export const RENDER_AGE_FAMILY = 'spdk_conductor_metrics_render_age_seconds';
export const STALE_ANSWERS_FAMILY = 'spdk_conductor_metrics_stale_answers_total';

/** Scrapes waiting at once; more are refused (or answered stale, where that may be) rather than queued. */
const MAX_WAITING = 4;

/** A render as the main thread answered it. */
export interface Rendered {
  contentType: string;
  body: Uint8Array;
  /** When the main thread took the request (monoMs): the readings are of that moment. */
  at: number;
  /** The main thread's marks, and this thread's: asked, received. */
  marks: ScrapeMarks;
  asked: number;
  received: number;
}

/** What the main thread answered a request with (a 'metrics-answer'). */
export interface RenderAnswer {
  text?: { contentType: string; body: Uint8Array } | undefined;
  error?: string | undefined;
  marks?: ScrapeMarks | undefined;
}

export interface ScrapesOptions {
  /** Posts a request for a render to the main thread. */
  ask(id: number): void;
  waitMs: number;
  maxAgeMs: number;
  timeoutMs: number;
  /** A BigInt64Array of one: the stale answers so far. */
  staleCount: BigInt64Array;
  /** CONDUCTOR_SCRAPE_TRACE=1: each answer's stages, logged once it is sent. */
  trace?: ((fields: Record<string, unknown>) => void) | undefined;
  /** Logs a change between fresh and stale answers, with why. */
  log(level: 'info' | 'warn', fields: Record<string, unknown>, msg: string): void;
}

interface Waiter {
  resolve(rendered: Rendered | undefined): void;
  reject(err: Error): void;
}

interface Flight {
  id: number;
  asked: number;
  waiters: Waiter[];
  timer?: NodeJS.Timeout;
}

export class Scrapes {
  private enabled = false;
  private last: Rendered | undefined;
  private inFlight: Flight | undefined;
  private next: Flight | undefined;
  private nextId = 0;
  private waiting = 0;
  /** The last answer was stale: the next fresh one logs the change back. */
  private staleNow = false;

  constructor(private readonly options: ScrapesOptions) {}

  /** A source was set or removed: what was cached is not its exposition. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.last = undefined;
  }

  /** The exposition for one GET /metrics; undefined while metrics are not enabled. */
  scrape(): Promise<MetricsText | undefined> {
    if (!this.enabled) return Promise.resolve(undefined);
    const arrived = monoMs();
    if (this.waiting >= MAX_WAITING) {
      const usable = this.usable();
      if (usable) return Promise.resolve(this.answer(usable, arrived, true, `${MAX_WAITING} scrapes were already waiting`));
      return Promise.reject(new Error(`${MAX_WAITING} scrapes are already waiting for the main loop`));
    }
    this.waiting++;
    const fresh = this.fresh();
    return new Promise<MetricsText | undefined>((resolve, reject) => {
      let done = false;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        this.waiting--;
        clearTimeout(budget);
        clearTimeout(deadline);
        return true;
      };
      // A scrape that arrived during a render waits for the next one: its own deadline still holds.
      const deadline = setTimeout(() => {
        if (finish()) reject(new Error(`the main loop did not answer within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      const budget =
        this.options.waitMs > 0 && this.last
          ? setTimeout(() => {
              // Past the budget the last exposition answers, if it is young enough; else the wait goes on.
              const usable = this.usable();
              if (usable && finish()) resolve(this.answer(usable, arrived, true, `no fresh render within ${this.options.waitMs} ms`));
            }, this.options.waitMs)
          : undefined;
      fresh.promise.then(
        (rendered) => {
          if (finish()) resolve(rendered && this.answer(rendered, arrived, false));
        },
        (err: Error) => {
          if (finish()) reject(err);
        },
      );
    });
  }

  /** The main thread's answer to request `id`. */
  answered(id: number, answer: RenderAnswer): void {
    const received = monoMs();
    const flight = this.inFlight?.id === id ? this.inFlight : undefined;
    const rendered: Rendered | undefined = answer.text && {
      ...answer.text,
      at: answer.marks?.['got'] ?? received,
      marks: answer.marks ?? {},
      asked: flight?.asked ?? received,
      received,
    };
    // A late answer (its request timed out) still moves the cache forward.
    if (rendered && this.enabled && (!this.last || rendered.at > this.last.at)) this.last = rendered;
    if (!flight) return;
    clearTimeout(flight.timer);
    for (const w of flight.waiters) {
      if (answer.error !== undefined) w.reject(new Error(answer.error));
      else w.resolve(rendered);
    }
    this.land();
  }

  /** The thread stops: every waiting scrape is answered with why. */
  stop(): void {
    for (const flight of [this.inFlight, this.next]) {
      clearTimeout(flight?.timer);
      for (const w of flight?.waiters ?? []) w.reject(new Error('the service is shutting down'));
    }
    this.inFlight = undefined;
    this.next = undefined;
  }

  /** The last exposition, if a scrape may be answered with it now. */
  private usable(): Rendered | undefined {
    const last = this.last;
    return last && monoMs() - last.at <= this.options.maxAgeMs ? last : undefined;
  }

  /** A render asked for at or after now: the one to ask next, shared by every scrape until it is asked. */
  private fresh(): { promise: Promise<Rendered | undefined> } {
    let waiter!: Waiter;
    const promise = new Promise<Rendered | undefined>((resolve, reject) => (waiter = { resolve, reject }));
    if (!this.inFlight) {
      this.inFlight = this.launch({ id: ++this.nextId, asked: 0, waiters: [waiter] });
    } else {
      this.next ??= { id: ++this.nextId, asked: 0, waiters: [] };
      this.next.waiters.push(waiter);
    }
    return { promise };
  }

  private launch(flight: Flight): Flight {
    flight.asked = monoMs();
    flight.timer = setTimeout(() => {
      for (const w of flight.waiters) w.reject(new Error(`the main loop did not answer within ${this.options.timeoutMs} ms`));
      this.land();
    }, this.options.timeoutMs);
    this.options.ask(flight.id);
    return flight;
  }

  /** The render in flight ended (answered or timed out): ask for the next one, if scrapes wait for it. */
  private land(): void {
    this.inFlight = undefined;
    const next = this.next;
    this.next = undefined;
    if (next) this.inFlight = this.launch(next);
  }

  private answer(rendered: Rendered, arrived: number, stale: boolean, why?: string): MetricsText {
    const now = monoMs();
    const ageSec = Math.max(0, now - rendered.at) / 1000;
    const count = stale ? Atomics.add(this.options.staleCount, 0, 1n) + 1n : Atomics.load(this.options.staleCount, 0);
    if (stale !== this.staleNow) {
      this.staleNow = stale;
      if (stale)
        this.options.log('warn', { why, ageSec: round(ageSec, 3), staleAnswers: Number(count) }, 'a /metrics scrape answered with the last exposition: the main loop has not rendered a fresh one');
      else this.options.log('info', { ageSec: round(ageSec, 3), staleAnswers: Number(count) }, '/metrics scrapes answered fresh again');
    }
    const trailer =
      `# HELP ${RENDER_AGE_FAMILY} How old this exposition's readings are: from the main thread taking the render's request to this answer (stale answers: the last render's)\n` +
      `# TYPE ${RENDER_AGE_FAMILY} gauge\n${RENDER_AGE_FAMILY} ${round(ageSec, 6)}\n` +
      `# HELP ${STALE_ANSWERS_FAMILY} Scrapes answered with the last complete exposition because the main loop did not render a fresh one within metrics.scrapeWaitMs\n` +
      `# TYPE ${STALE_ANSWERS_FAMILY} counter\n${STALE_ANSWERS_FAMILY} ${count}\n`;
    const trace = this.options.trace;
    const sent = trace ? (): void => trace(stageTrace(rendered, arrived, now, monoMs(), stale, rendered.body.byteLength)) : undefined;
    return { contentType: rendered.contentType, body: rendered.body, trailer, sent };
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * A scrape's stages in ms, each from the one before. Fresh: `queued` (arrived until its render
 * was asked: a render already in flight), `wait` (until the main loop took the request), the
 * render's stages as the main thread marked them, `toThread` (posted until this thread took the
 * answer), `send` (answered until handed to the connection whole). Stale: `stale` true, `answered`
 * (arrived until answered: the budget) and `send`; `ageMs` the exposition's age. `totalMs` from arrival.
 */
function stageTrace(rendered: Rendered, arrived: number, answered: number, sent: number, stale: boolean, bytes: number): Record<string, unknown> {
  const ms = (v: number): number => round(v, 2);
  if (stale) return { stale: true, answered: ms(answered - arrived), send: ms(sent - answered), ageMs: ms(answered - rendered.at), totalMs: ms(sent - arrived), bytes };
  const stages: Record<string, number> = { queued: ms(rendered.asked - arrived) };
  let last = rendered.asked;
  for (const [name, at] of Object.entries({ wait: rendered.marks['got'], ...rendered.marks, toThread: rendered.received, send: sent })) {
    if (name === 'got' || at === undefined) continue;
    stages[name] = ms(at - last);
    last = at;
  }
  return { ...stages, totalMs: ms(sent - arrived), bytes };
}
