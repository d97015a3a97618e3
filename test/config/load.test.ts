import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { envName, flagName } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

function tempFile(content: string): string {
  const file = path.join(tempDir('conductor-config-'), 'config.json');
  fs.writeFileSync(file, content);
  return file;
}

describe('loadConfig', () => {
  it('derives env and flag names from keys', () => {
    expect(envName('spdk.deadlineMs')).toBe('CONDUCTOR_SPDK_DEADLINE_MS');
    expect(flagName('spdk.deadlineMs')).toBe('spdk-deadline-ms');
  });

  it('has defaults for everything but the socket', () => {
    const config = loadConfig();
    expect(config['spdk.deadlineMs']).toBe(60_000);
    expect(config['spdk.socket']).toBeUndefined();
    expect(config['log.level']).toBe('info');
  });

  it('layers file < environment < flags', () => {
    const file = tempFile(JSON.stringify({ spdk: { socket: '/from/file', deadlineMs: 1000 }, 'log.level': 'debug' }));
    const config = loadConfig({
      file,
      env: { CONDUCTOR_SPDK_DEADLINE_MS: '2000', CONDUCTOR_SPDK_SOCKET: '/from/env' },
      flags: { 'spdk-socket': '/from/flag' },
    });
    expect(config['spdk.socket']).toBe('/from/flag');
    expect(config['spdk.deadlineMs']).toBe(2000);
    expect(config['log.level']).toBe('debug');
  });

  it("takes spdk_tgt's hugepage limit as SIZE=BYTES pairs, unset by default", () => {
    expect(loadConfig()['health.spdkHugepagesLimitBytes']).toBeUndefined();
    expect(loadConfig({ env: { CONDUCTOR_HEALTH_SPDK_HUGEPAGES_LIMIT_BYTES: '2Mi=2147483648,1Gi=4294967296' } })['health.spdkHugepagesLimitBytes']).toBe('2Mi=2147483648,1Gi=4294967296');
  });

  it('names the key, the source and the expected form of a bad value', () => {
    const cases: Array<[() => unknown, RegExp]> = [
      [() => loadConfig({ env: { CONDUCTOR_SPDK_DEADLINE_MS: 'soon' } }), /spdk\.deadlineMs: environment CONDUCTOR_SPDK_DEADLINE_MS: expected an integer from 1 to 3600000, got "soon"/],
      [() => loadConfig({ flags: { 'spdk-max-in-flight': '0' } }), /spdk\.maxInFlight: flag --spdk-max-in-flight: expected an integer from 1/],
      [() => loadConfig({ flags: { 'log-level': 'loud' } }), /log\.level: .*expected one of fatal, error/],
      [() => loadConfig({ flags: { 'no-such-flag': 'x' } }), /unknown flag --no-such-flag/],
      [() => loadConfig({ file: tempFile('{"spdk": {"sockett": "/x"}}') }), /spdk\.sockett: unknown key/],
      [() => loadConfig({ file: tempFile('{not json') }), /not valid JSON/],
      [() => loadConfig({ file: '/nonexistent/config.json' }), /cannot read \/nonexistent\/config\.json: ENOENT/],
      [() => loadConfig({ env: { CONDUCTOR_SPDK_VALIDATE_RESULTS: 'maybe' } }), /expected true or false/],
      [() => loadConfig({ flags: { 'engine-host-nqn': 'node-a' } }), /engine\.hostNqn: flag --engine-host-nqn: "node-a" is not an NQN/],
      [
        () => loadConfig({ env: { CONDUCTOR_FRONTEND_HOST_NQN: 'nqn.2014-08.org.nvmexpress:uuid:1' } }),
        /frontend\.hostNqn: environment CONDUCTOR_FRONTEND_HOST_NQN: .* is a UUID NQN whose tail is not a UUID/,
      ],
      [() => loadConfig({ flags: { 'export-port-max': '70000' } }), /export\.portMax: .*expected an integer from 1 to 65535/],
      [
        () => loadConfig({ env: { CONDUCTOR_HEALTH_SPDK_HUGEPAGES_LIMIT_BYTES: '2147483648' } }),
        /health\.spdkHugepagesLimitBytes: environment CONDUCTOR_HEALTH_SPDK_HUGEPAGES_LIMIT_BYTES: "2147483648" is not SIZE=BYTES: expected SIZE=BYTES pairs/,
      ],
      [() => loadConfig({ flags: { 'health-spdk-hugepages-limit-bytes': '2Mi=2Gi' } }), /health\.spdkHugepagesLimitBytes: flag --health-spdk-hugepages-limit-bytes: "2Mi=2Gi" is not SIZE=BYTES/],
      [() => loadConfig({ file: tempFile('{"health": {"spdkHugepagesLimitBytes": "3Mi=1"}}') }), /health\.spdkHugepagesLimitBytes: .*3Mi is not a hugepage size/],
    ];
    for (const [load, message] of cases) {
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(message);
    }
  });
});
