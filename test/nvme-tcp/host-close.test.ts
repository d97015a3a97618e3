/**
 * close() of the NVMe/TCP host against the simulator's target, live and stopped (SIGSTOP: alive,
 * its connections open, answering nothing). A live target gets the shutdown notification (CC.SHN)
 * before the connections end; a stopped one gets none once its I/O queue's FIN goes unanswered, or
 * once a command timed out, and its connections are cut. Either way the close ends and nothing of
 * the host is left: sockets closed, timers stopped, no listener on the caller's signal.
 *
 * Each test prints how long its close took (the figure docs/architecture.md quotes); the only timed
 * check is a generous bound that shows it does not hang.
 */
import { getEventListeners } from 'node:events';
import type pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NvmeTcpHost, type NvmeTcpConnectOptions } from '../../src/nvme-tcp/host.js';
import { capturedLog } from '../helpers/captured-log.js';
import { portBlock } from '../helpers/ports.js';
import { conductorRefusal } from '../helpers/refusal.js';
import { until } from '../helpers/until.js';
import { SimClient } from '../sim/helpers/sim-client.js';
import { type RunningSim, startSim } from '../sim/helpers/start-sim.js';

const SUBNQN = 'nqn.2024-11.io.spdk-conductor:host-close';
const HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:5b0c7a52-3c1e-4d7a-9f0e-00000000c105';
const MIB = 1024 * 1024;
/** Far above any close (the old one took ~4 s on a stopped target): only shows it does not hang. */
const NO_HANG_MS = 15_000;

/** TCP sockets of this process (the simulator's are in its own). */
const tcpSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

describe('NVMe/TCP host close', () => {
  let sim: RunningSim;
  let rpc: SimClient;
  let port: number;
  const open: NvmeTcpHost[] = [];

  beforeAll(async () => {
    port = portBlock();
    sim = await startSim({ name: 'host-close' });
    rpc = await SimClient.connect(sim.socket);
    await rpc.call('nvmf_create_transport', { trtype: 'TCP' });
    await rpc.call('bdev_malloc_create', { name: 'm0', num_blocks: (16 * MIB) / 4096, block_size: 4096 });
    await rpc.call('nvmf_create_subsystem', { nqn: SUBNQN, allow_any_host: false });
    await rpc.call('nvmf_subsystem_add_host', { nqn: SUBNQN, host: HOSTNQN });
    await rpc.call('nvmf_subsystem_add_ns', { nqn: SUBNQN, namespace: { bdev_name: 'm0' } });
    await rpc.call('nvmf_subsystem_add_listener', { nqn: SUBNQN, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(port) } });
  }, 60_000);

  afterEach(async () => {
    // A test that stopped the simulator lets it go on, whatever happened
    sim.proc.kill('SIGCONT');
    await Promise.all(open.splice(0).map((h) => h.close()));
    await until('no controller left', async () => (await rpc.call<unknown[]>('nvmf_subsystem_get_controllers', { nqn: SUBNQN })).length === 0, 30_000);
  });

  afterAll(async () => {
    rpc?.close();
    await sim?.stop();
  });

  const connect = async (log: pino.Logger, timeoutMs = 30_000, close?: NvmeTcpConnectOptions['close']) => {
    const host = await NvmeTcpHost.connect({ address: '127.0.0.1', port, subnqn: SUBNQN, hostnqn: HOSTNQN, timeoutMs, log, ...(close ? { close } : {}) });
    open.push(host);
    await host.namespace(1);
    return host;
  };
  const closedLine = (lines: Array<Record<string, unknown>>) => lines.find((l) => l.msg === 'NVMe/TCP host closed');
  const shutdownsOf = (cntlid: number) =>
    sim
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"nvmf_tcp_ctrlr_disable"') && l.includes(`"cntlid":${cntlid},`) && l.includes('CC.SHN set')).length;

  it('on a live target sends the shutdown notification, then ends both connections', async () => {
    const sockets = tcpSockets();
    const { log, lines } = capturedLog();
    // Bounds a simulator starved of CPU on a busy machine still answers within: this test is about
    // the orderly path, the default bounds' figures are the stopped target's below.
    const host = await connect(log, 30_000, { deadlineMs: 12_000, finGraceMs: 10_000 });
    await host.write(1, 0, Buffer.alloc(MIB, 7));
    const started = Date.now();
    await host.close();
    const ms = Date.now() - started;
    console.log(`close on a live simulator target: ${ms} ms`);
    expect(ms).toBeLessThan(NO_HANG_MS);
    expect(closedLine(lines)).toMatchObject({ cntlid: host.cntlid, shutdownNotified: true });
    expect(closedLine(lines)?.reason).toBeUndefined();
    await until(
      'the simulator saw CC.SHN',
      () => shutdownsOf(host.cntlid) === 1,
      10_000,
      () => sim.stderr().slice(-2000),
    );
    expect(host.released).toBe(true);
    await until('the sockets closed', () => tcpSockets() <= sockets, 10_000);
  }, 60_000);

  it('on a stopped target ends without a shutdown notification once the I/O queue FIN goes unanswered, failing the write in flight and leaving nothing behind', async () => {
    const sockets = tcpSockets();
    const { log, lines } = capturedLog();
    const host = await connect(log);
    sim.proc.kill('SIGSTOP');
    const caller = new AbortController();
    const write = conductorRefusal(host.write(1, 0, Buffer.alloc(MIB, 9), caller.signal));
    await until('the write in flight', () => host.inFlight > 0, 10_000);
    const started = Date.now();
    await host.close();
    const ms = Date.now() - started;
    console.log(`close on a SIGSTOPped simulator target: ${ms} ms`);
    expect(ms).toBeLessThan(NO_HANG_MS);
    const error = await write;
    expect(error.code).toBe('CANCELLED');
    expect(error.message).toMatch(/closed/);
    expect(closedLine(lines)).toMatchObject({ cntlid: host.cntlid, shutdownNotified: false });
    expect(closedLine(lines)?.reason).toMatch(/did not answer the I\/O queue's FIN/);
    expect(host.released).toBe(true);
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
    await until('the sockets closed', () => tcpSockets() <= sockets, 10_000);
    // Running again, the target reads what the host sent before its FIN: no CC.SHN among it
    sim.proc.kill('SIGCONT');
    await until('the controller gone', async () => (await rpc.call<Array<{ cntlid: number }>>('nvmf_subsystem_get_controllers', { nqn: SUBNQN })).length === 0, 30_000);
    expect(shutdownsOf(host.cntlid)).toBe(0);
  }, 60_000);

  it('on a stopped target whose command timed out ends at once, without a shutdown notification', async () => {
    const { log, lines } = capturedLog();
    const host = await connect(log, 500);
    sim.proc.kill('SIGSTOP');
    const error = await conductorRefusal(host.write(1, 0, Buffer.alloc(4096, 3)));
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    const started = Date.now();
    await host.close();
    const ms = Date.now() - started;
    console.log(`close on a SIGSTOPped simulator target after a command timed out: ${ms} ms`);
    expect(ms).toBeLessThan(NO_HANG_MS);
    expect(closedLine(lines)).toMatchObject({ shutdownNotified: false, reason: expect.stringMatching(/already lost/) });
    expect(host.released).toBe(true);
  }, 60_000);
});
