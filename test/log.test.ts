import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { componentLogger, createLogger } from '../src/log.js';

describe('logs', () => {
  it('writes structured lines with the component and censors secrets in params', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = componentLogger(createLogger({ destination }), 'spdk-client');
    log.info({ method: 'bdev_nvme_attach_controller', params: { name: 'r1', psk: 'NVMeTLSkey-1:01:secret', dhchap_key: 'k1' } }, 'attach');
    const line = JSON.parse(lines[0]!) as Record<string, any>;
    expect(line.component).toBe('spdk-client');
    expect(line.params).toEqual({ name: 'r1', psk: '[redacted]', dhchap_key: '[redacted]' });
    expect(lines[0]).not.toContain('secret');
  });
});
