import { describe, expect, it } from 'vitest';
import { labelsProblem } from '../../src/validation/labels.js';
import { nameProblem } from '../../src/validation/names.js';
import { apiAddressProblem, portProblem, replicaAddressProblem, splitHostPort } from '../../src/validation/network.js';
import { nqnProblem } from '../../src/validation/nqn.js';
import { absolutePathProblem, pciAddressProblem } from '../../src/validation/paths.js';
import { isPowerOfTwo, sizeBytesProblem } from '../../src/validation/sizes.js';

describe('NQNs (NVMe base specification §4.5)', () => {
  it.each([
    'nqn.2024-11.io.spdk-conductor:replica:r1',
    'nqn.2016-06.io.spdk:host-a',
    'nqn.2019-10.com.kioxia:KCD6XLUL960G:71P0A0QBTJ8M',
    'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10',
    'nqn.2014-08.org.nvmexpress:uuid:0F4C6D0E-1F6B-4B8E-9D43-5B2A1E7C9A10',
    'nqn.2024-11.io.example:vol;1&2',
    `nqn.2014-08.org.example:${'h'.repeat(199)}`,
  ])('accepts %s', (nqn) => {
    expect(nqnProblem(nqn)).toBeUndefined();
  });

  it.each([
    ['nothing', '', /an NQN is required/],
    ['not a string', 7, /an NQN is required/],
    ['another scheme', 'iqn.2020-01.com.example:h', /is not an NQN/],
    ['an upper-case prefix', 'NQN.2014-08.org.example:h', /is not an NQN/],
    ['month 13', 'nqn.2014-13.org.example:h', /is not an NQN/],
    ['month 00', 'nqn.2014-00.org.example:h', /is not an NQN/],
    ['a one-label domain', 'nqn.2014-08.localhost:h', /is not an NQN/],
    ['a label ending in -', 'nqn.2014-08.org.example-:h', /is not an NQN/],
    ['an empty label', 'nqn.2014-08.org..example:h', /is not an NQN/],
    ['no colon', 'nqn.2014-08.org.example', /is not an NQN/],
    ['nothing after the colon', 'nqn.2014-08.org.example:', /is not an NQN/],
    ['a space', 'nqn.2024-11.io.x:a;rm -rf /', /is not an NQN/],
    ['a comma (an nvme-cli option)', 'nqn.2024-11.io.x:a,hostnqn=x', /is not an NQN/],
    ['a NUL', 'nqn.2024-11.io.x:a\u0000b', /is not an NQN/],
    ['a newline', 'nqn.2024-11.io.x:a\nb', /is not an NQN/],
    ['a non-ASCII identifier', 'nqn.2024-11.io.x:häst', /is not an NQN/],
    ['a UUID NQN without a UUID', 'nqn.2014-08.org.nvmexpress:uuid:1', /whose tail is not a UUID/],
    ['a UUID NQN with a short UUID', 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a1', /whose tail is not a UUID/],
    ['the UUID form cut before its colon', 'nqn.2014-08.org.nvmexpress:uuid', /names in org\.nvmexpress are only/],
    ['the UUID form cut after its colon', 'nqn.2014-08.org.nvmexpress:uuid:', /whose tail is not a UUID/],
    ['another name in the specification domain', 'nqn.2014-08.org.nvmexpress:host', /names in org\.nvmexpress are only/],
    ['a C1 control character', 'nqn.2024-11.io.x:a\u0085b', /control character/],
    ['a year before DNS', 'nqn.1984-12.io.example:h', /before 1985/],
    ['an all-digit top-level domain', 'nqn.2024-11.42.example:h', /is not an NQN/],
    ['a label of 64 characters', `nqn.2024-11.io.${'l'.repeat(64)}:h`, /is not an NQN/],
    ['224 bytes', `nqn.2014-08.org.example:${'h'.repeat(200)}`, /is 224 bytes long; an NQN is at most 223/],
    ['223 characters but 224 bytes', `nqn.2014-08.org.example:${'h'.repeat(198)}é`, /is 224 bytes long/],
  ])('refuses %s', (_what, nqn, message) => {
    expect(nqnProblem(nqn)).toMatch(message);
  });
});

describe('names', () => {
  it("takes [a-z0-9-] within each kind's limit", () => {
    expect(nameProblem('disk', 'd'.repeat(32))).toBeUndefined();
    expect(nameProblem('disk', 'd'.repeat(33))).toMatch(/is 33 characters long; use at most 32/);
    expect(nameProblem('replica', 'r'.repeat(48))).toBeUndefined();
    expect(nameProblem('volume', 'v'.repeat(49))).toMatch(/use at most 48/);
    for (const bad of ['Vol1', '-v', 'v.1', 'v:1', 'v\u0000', 'v 1']) expect(nameProblem('volume', bad)).toMatch(/is not allowed/);
    expect(nameProblem('snapshot', '')).toBe('a snapshot name is required');
  });
});

describe('ports and addresses', () => {
  it('takes TCP ports 1-65535 only', () => {
    for (const port of [1, 4420, 65_535]) expect(portProblem(port)).toBeUndefined();
    for (const port of [0, -1, 65_536, 1.5, Number.NaN, '80']) expect(portProblem(port)).toMatch(/is not a TCP port; use 1 to 65535/);
  });

  it('splits host:port and [v6]:port, ports 0-65535 (0: a listener picks one)', () => {
    expect(splitHostPort('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(splitHostPort('[::1]:50151')).toEqual({ host: '::1', port: 50_151 });
    expect(splitHostPort('node-b:65536')).toBeUndefined();
    expect(splitHostPort('node-b')).toBeUndefined();
  });

  it('takes IPv4 addresses and host names for replicas, never IPv6', () => {
    for (const address of ['10.0.0.5', 'node-b.storage.example']) expect(replicaAddressProblem(address)).toBeUndefined();
    expect(replicaAddressProblem('fd00::5')).toMatch(/IPv6 is not supported/);
    expect(replicaAddressProblem('10.0.0.256')).toMatch(/is not an IPv4 address/);
    expect(replicaAddressProblem('node b')).toMatch(/is not an IPv4 address or a host name/);
    expect(replicaAddressProblem('node\u0000b')).toMatch(/is not an IPv4 address or a host name/);
  });

  it("takes host:port for a peer's API with a port one can connect to", () => {
    expect(apiAddressProblem('10.0.0.6:50151')).toBeUndefined();
    expect(apiAddressProblem('10.0.0.6:0')).toMatch(/is not a TCP port/);
    expect(apiAddressProblem('10.0.0.6')).toMatch(/is not host:port/);
  });
});

describe('sizes', () => {
  it('takes whole positive byte counts below 2^53', () => {
    expect(sizeBytesProblem(1 << 20)).toBeUndefined();
    expect(sizeBytesProblem(0)).toBe('must be greater than 0 bytes');
    expect(sizeBytesProblem(2 ** 53)).toMatch(/is too large/);
    expect(sizeBytesProblem(1.5)).toMatch(/is not a whole number of bytes/);
  });

  it('knows powers of two, also past 2^31 where bit operations wrap', () => {
    expect(isPowerOfTwo(4096, 512, 4096)).toBe(true);
    expect(isPowerOfTwo(1000, 512, 4096)).toBe(false);
    expect(isPowerOfTwo(8192, 512, 4096)).toBe(false);
    expect(isPowerOfTwo(2 ** 40, 1, Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(isPowerOfTwo(2 ** 32 + 2 ** 31, 1, Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe('paths', () => {
  it('takes absolute paths without control characters, and BDFs', () => {
    expect(absolutePathProblem('/dev/sda')).toBeUndefined();
    expect(absolutePathProblem('dev/sda')).toMatch(/is not an absolute path/);
    expect(absolutePathProblem('/dev/sda\u0000')).toMatch(/holds a control character/);
    expect(absolutePathProblem('/dev/s\nda')).toMatch(/holds a control character/);
    expect(absolutePathProblem(`/${'x'.repeat(4095)}`)).toMatch(/too long/);
    expect(pciAddressProblem('0000:5e:00.0')).toBeUndefined();
    expect(pciAddressProblem('/dev/nvme0')).toMatch(/is not a PCIe address/);
  });
});

describe('labels', () => {
  it('takes up to 32 labels with keys that start and end with a letter or digit', () => {
    expect(labelsProblem({ 'app.kubernetes.io/name': 'db', a: '' })).toBeUndefined();
    expect(labelsProblem(Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])))).toMatch(/33 labels given; at most 32/);
    for (const key of ['has space', '-a', 'a-', 'a.', 'k'.repeat(64), '']) expect(labelsProblem({ [key]: 'v' })).toMatch(/label key .* is not allowed/);
    expect(labelsProblem({ k: 'v'.repeat(256) })).toMatch(/is 256 characters long; use at most 255/);
    expect(labelsProblem({ k: 'a\u0000b' })).toMatch(/holds a control character/);
    expect(labelsProblem({ k: 7 })).toMatch(/is not a string/);
  });
});
