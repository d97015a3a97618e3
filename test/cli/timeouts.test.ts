/**
 * `timeouts check` as the CLI runs it: a configuration in, a timeline or JSON out, and the exit code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { timeoutsCheck } from '../../src/cli/commands/timeouts.js';
import { loadConfig } from '../../src/config/load.js';
import { NVME_IO_TIMEOUT_PATH } from '../../src/host/nvme-params.js';
import { tempDir } from '../helpers/temp-dir.js';

const roots: string[] = [];

/** A sysfs root, with nvme_core's io_timeout when given. */
function sysfs(ioTimeout?: number): string {
  const root = tempDir('conductor-sysfs-');
  roots.push(root);
  if (ioTimeout !== undefined) {
    fs.mkdirSync(path.join(root, path.dirname(NVME_IO_TIMEOUT_PATH)), { recursive: true });
    fs.writeFileSync(path.join(root, NVME_IO_TIMEOUT_PATH), `${ioTimeout}\n`);
  }
  return root;
}

afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

async function check(env: Record<string, string>, json: boolean, sysfsRoot = sysfs()): Promise<{ code: number; text: string }> {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const code = await timeoutsCheck(loadConfig({ env }), { json, out, sysfsRoot });
  return { code, text };
}

const PRODUCTION = {
  CONDUCTOR_TIMEOUTS_REPLICA_CTRLR_LOSS_TIMEOUT_SEC: '30',
  CONDUCTOR_TIMEOUTS_REPLICA_FAST_IO_FAIL_TIMEOUT_SEC: '0',
  CONDUCTOR_TIMEOUTS_REPLICA_KEEP_ALIVE_TIMEOUT_MS: '10000',
  CONDUCTOR_TIMEOUTS_HOST_CTRL_LOSS_TMO_SEC: '30',
};

describe('timeouts check', () => {
  it('prints the default budget as a worst-case timeline with its margins, and exits 0', async () => {
    const { code, text } = await check({}, false);
    expect(code).toBe(0);
    const lines = text.split('\n');
    expect(lines[0]).toBe('timeout budget: sound');
    expect(text).toContain('replica (bdev_nvme): reconnect_delay_sec 2, fast_io_fail_timeout_sec 8, ctrlr_loss_timeout_sec 15, keep_alive_timeout_ms 5000, transport_ack_timeout 0 (SPDK default)');
    expect(text).toContain('host: nvme connect --ctrl-loss-tmo 60 --reconnect-delay 2 --keep-alive-tmo 5; io_timeout 30 s (from config timeouts.host.ioTimeoutSec; sysfs has none)');
    // The events, in time order, each at its worst-case second.
    const events = lines.filter((l) => /^\s+\+\d/.test(l)).map((l) => l.trim().replace(/\s+/g, ' '));
    expect(events[0]).toBe('+0 s replica replica lost; I/O to it starts waiting');
    expect(events[1]).toBe('+5 s replica keep-alive timeout (5000 ms): loss detected, reconnects start');
    expect(events).toContain('+15 s replica member failed by fast_io_fail (8 s) at the first reconnect tick after it; raid1 goes on without it (worst case)');
    expect(events).toContain('+22 s replica controller and its bdev deleted (ctrlr_loss 15 s at the next tick; worst case)');
    expect(events.slice(-2)).toEqual(['+30 s host host io_timeout (30 s): an I/O still waiting now fails the volume', '+60 s host host ctrl-loss-tmo (60 s): the host gives up on the engine']);
    expect(text).toContain('member failed 15 s vs host io_timeout 30 s: margin 15 s, need 2 s: ok  [ours.io-failover-before-host-io-timeout]');
    expect(text).toContain('controller deleted 22 s vs host ctrl-loss-tmo 60 s: margin 38 s, need 2 s: ok  [ours.controller-gone-before-host-ctrl-loss]');
    expect(text).not.toContain('broken:');
    expect(lines.at(-2)).toBe('verdict: pass');
  });

  it("takes the host's io_timeout from sysfs when it is there", async () => {
    const root = sysfs(16);
    const { code, text } = await check({}, false, root);
    expect(code).toBe(2);
    expect(text).toContain(`io_timeout 16 s (from ${path.join(root, NVME_IO_TIMEOUT_PATH)})`);
    expect(text).toContain('member failed 15 s vs host io_timeout 16 s: margin 1 s, need 2 s: BROKEN');
  });

  it('prints the broken production budget with both rules and exits 2', async () => {
    const { code, text } = await check(PRODUCTION, false);
    expect(code).toBe(2);
    expect(text.split('\n')[0]).toBe('timeout budget: BROKEN (2 rules)');
    expect(text).toMatch(
      /broken:\n {2}\[ours\.io-failover-before-host-io-timeout\] .*ctrlr_loss_timeout_sec 30 s.*io_timeout 30 s\n {2}\[ours\.controller-gone-before-host-ctrl-loss\] .*ctrl-loss-tmo 30 s\n/,
    );
    expect(text).toContain('member failed 42 s vs host io_timeout 30 s: margin -12 s, need 2 s: BROKEN');
    expect(text).not.toContain('unsafeSkipCheck');
    expect(text.trimEnd().split('\n').at(-1)).toBe('verdict: fail');
  });

  it('still exits 2 with unsafeSkipCheck, saying serve would start anyway', async () => {
    const { code, text } = await check({ ...PRODUCTION, CONDUCTOR_TIMEOUTS_UNSAFE_SKIP_CHECK: 'true' }, false);
    expect(code).toBe(2);
    expect(text).toContain('note: timeouts.unsafeSkipCheck is set: serve would start with this broken budget anyway');
  });

  it('shows ctrlr_loss -1 as reconnecting forever, with rule (b) not applying', async () => {
    const { code, text } = await check({ CONDUCTOR_TIMEOUTS_REPLICA_CTRLR_LOSS_TIMEOUT_SEC: '-1' }, false);
    expect(code).toBe(0);
    expect(text).toContain('reconnect attempt 12, then every 2 s until detached');
    expect(text).toContain('controller deleted: never; host ctrl-loss-tmo 60 s: n/a');
  });

  it('prints the same as JSON, with what would be sent to spdk_tgt and nvme connect', async () => {
    const root = sysfs(30);
    const { code, text } = await check({ CONDUCTOR_TIMEOUTS_REPLICA_TRANSPORT_ACK_TIMEOUT: '13' }, true, root);
    expect(code).toBe(0);
    const report = JSON.parse(text) as Record<string, unknown> & { timeline: Array<{ atSec: number; kind: string }>; margins: Array<{ marginSec: number }> };
    expect(report).toMatchObject({
      ok: true,
      ioTimeoutSource: { from: 'sysfs', file: path.join(root, NVME_IO_TIMEOUT_PATH) },
      unsafeSkipCheck: false,
      violations: [],
      warnings: [],
      spdk: {
        attachController: { ctrlr_loss_timeout_sec: 15, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 8 },
        setOptions: { keep_alive_timeout_ms: 5000, transport_ack_timeout: 13, ctrlr_loss_timeout_sec: 15, reconnect_delay_sec: 2, fast_io_fail_timeout_sec: 8 },
      },
      hostConnectArgs: ['--ctrl-loss-tmo', '60', '--reconnect-delay', '2', '--keep-alive-tmo', '5'],
    });
    expect(report.timeline.find((e) => e.kind === 'member-failed')?.atSec).toBe(15);
    expect(report.margins.map((m) => m.marginSec)).toEqual([15, 38]);
  });

  it('reports a broken budget in JSON with its rules and exits 2', async () => {
    const { code, text } = await check(PRODUCTION, true);
    expect(code).toBe(2);
    const report = JSON.parse(text) as { ok: boolean; violations: Array<{ rule: string; message: string }> };
    expect(report.ok).toBe(false);
    expect(report.violations.map((v) => v.rule)).toEqual(['ours.io-failover-before-host-io-timeout', 'ours.controller-gone-before-host-ctrl-loss']);
  });
});
