/**
 * Transfer paths spdk_tgt v26.05 never takes (its MAXH2CDATA is its transfer limit, it asks for a
 * command's data in one R2T, sends a read in one C2HData with SUCCESS, and its CPDA is the host's
 * HPDA of 0), against a scripted target (./mini-target.ts) that takes them.
 */
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { NvmeTcpHost } from '../../src/nvme-tcp/host.js';
import { FLAG } from '../../src/nvme-tcp/pdu.js';
import { MiniTarget, type MiniTargetOptions } from './mini-target.js';

const MIB = 1024 * 1024;
const targets: MiniTarget[] = [];
const hosts: NvmeTcpHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close();
  for (const t of targets.splice(0)) await t.close();
});

async function pair(options: Partial<MiniTargetOptions>): Promise<{ target: MiniTarget; host: NvmeTcpHost }> {
  const target = await MiniTarget.start({ cpda: 0, maxh2cdata: 4096, r2tBytes: 128 * 1024, c2hBytes: 128 * 1024, success: true, blocks: 1024, ...options });
  targets.push(target);
  const host = await NvmeTcpHost.connect({
    address: '127.0.0.1',
    port: target.port,
    subnqn: 'nqn.2024-11.io.spdk-conductor:mini',
    hostnqn: 'nqn.2014-08.org.nvmexpress:uuid:5b0c7a52-3c1e-4d7a-9f0e-00000000a1b2',
  });
  hosts.push(host);
  return { target, host };
}

describe('NVMe/TCP host transfers spdk_tgt does not exercise', () => {
  it('splits H2CData at MAXH2CDATA, pads it to CPDA, marks the last PDU of each of several R2Ts, and reads C2HData in uneven parts ended by a CapsuleResp', async () => {
    const { target, host } = await pair({ cpda: 7, maxh2cdata: 4096, r2tBytes: 24 * 1024, c2hBytes: 5000, success: false });
    expect(host.keepAliveTimeoutMs).toBe(0); // KAS 0: no keep alive
    expect(await host.namespace()).toEqual({ nsid: 1, blockBytes: 4096, blocks: 1024 });
    const data = crypto.randomBytes(MIB);
    await host.write(1, 64 * 1024, data);
    await host.write(1, 0, data.subarray(0, 4096)); // in the capsule, padded to 32-byte alignment
    expect(target.media.subarray(64 * 1024, 64 * 1024 + MIB).equals(data)).toBe(true);
    expect(target.media.subarray(0, 4096).equals(data.subarray(0, 4096))).toBe(true);
    // 8 commands of 128 KiB, each asked for in R2Ts of 24 KiB (the last 8 KiB), each sent in H2CData of <= 4 KiB
    expect(target.h2c.length).toBe(256);
    for (const h of target.h2c) {
      expect(h.pdo).toBe(32);
      expect(h.plen - h.pdo).toBeLessThanOrEqual(4096);
    }
    expect(target.h2c.filter((h) => h.flags & FLAG.LAST_PDU).length).toBe(8 * 6);
    expect((await host.read(1, 64 * 1024, MIB)).equals(data)).toBe(true);
  });

  it('reads C2HData ended by SUCCESS in several PDUs', async () => {
    const { target, host } = await pair({ c2hBytes: 12_288, success: true });
    const data = crypto.randomBytes(256 * 1024);
    data.copy(target.media, 4096);
    expect((await host.read(1, 4096, data.length)).equals(data)).toBe(true);
    await host.flush(1);
  });
});
