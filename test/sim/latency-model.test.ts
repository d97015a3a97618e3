/**
 * The simulator's latency parameters against the recorded round trips (scripts/lib/sim-latency-model.ts,
 * also run by `npm run check:sim-latency`): a comparison of numbers, the same on any machine.
 */
import { describe, expect, it } from 'vitest';
import { checkLatencyModel, formatLatencyRows, SIMULATOR_PARAMETERS } from '../../scripts/lib/sim-latency-model.js';
import { TRANSCRIPTS_DIR } from './helpers/fidelity/transcripts.js';

describe("the simulator's latency model against the recordings", () => {
  it('agrees with every recorded figure it models, within the stated tolerance', () => {
    const rows = checkLatencyModel(TRANSCRIPTS_DIR);
    process.stdout.write(`\n${formatLatencyRows(rows)}\n`);
    expect(rows.map((r) => r.what)).toEqual([
      'spdk_get_version, one at a time',
      'bdev_lvol_create, one at a time',
      'attach over TCP',
      'attach refused (host not allowed)',
      'attach with DH-HMAC-CHAP',
      'attach with a TLS PSK',
      'attach, DH-HMAC-CHAP key missing',
      'attach, DH-HMAC-CHAP exchange failed',
    ]);
    expect(rows.filter((r) => !r.agrees).map((r) => `${r.what}: recorded ${r.recordedMs} ms, model ${r.modelLowMs}-${r.modelHighMs} ms`)).toEqual([]);
    // Files 10 and 11 alone hold 1,042 sequential calls.
    expect(rows[0]!.calls + rows[1]!.calls).toBeGreaterThanOrEqual(1000);
  });

  it('fails a model that disagrees: a slower poller, a faster attach', () => {
    const slowPoll = checkLatencyModel(TRANSCRIPTS_DIR, { ...SIMULATOR_PARAMETERS, pollMs: 10 });
    expect(slowPoll.find((r) => r.what === 'bdev_lvol_create, one at a time')!.agrees).toBe(false);
    const fastAttach = checkLatencyModel(TRANSCRIPTS_DIR, { ...SIMULATOR_PARAMETERS, attachMs: 20, attachAuthMs: 100 });
    expect(fastAttach.filter((r) => !r.agrees).map((r) => r.what)).toEqual(['attach over TCP', 'attach with DH-HMAC-CHAP']);
  });
});
