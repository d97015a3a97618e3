import { describe, expect, it } from 'vitest';
import { translate } from '../../../src/domain/node/spdk-verdicts.js';
import { ConductorError, SpdkRpcError, SpdkTransportError } from '../../../src/errors.js';

describe('translate: spdk_tgt resource errors in domain terms, read in this one place', () => {
  it('ENOMEM (by code or words) → DMA_EXHAUSTED, naming what failed and what to do', () => {
    for (const error of [new SpdkRpcError('bdev_raid_create', {}, -12, 'Cannot allocate memory'), new SpdkRpcError('bdev_nvme_attach_controller', {}, -32603, 'Cannot allocate memory')]) {
      const translated = translate(error, 'engine vol1');
      expect(translated).toBeInstanceOf(ConductorError);
      expect(translated).toMatchObject({
        code: 'DMA_EXHAUSTED',
        kind: 'resource-exhausted',
        message: 'engine vol1: spdk_tgt is out of DMA memory (Cannot allocate memory); add hugepages or remove objects',
      });
    }
  });

  it('no space left → DISK_FULL', () => {
    const translated = translate(new SpdkRpcError('bdev_lvol_resize', {}, -28, 'No space left on device'), 'expand r1');
    expect(translated).toMatchObject({ code: 'DISK_FULL', kind: 'resource-exhausted', message: 'expand r1: the disk has no space left (No space left on device); free space or use another disk' });
  });

  it('passes every other error through untouched', () => {
    const busy = new SpdkRpcError('bdev_lvol_delete', {}, -16, 'Device or resource busy');
    const lost = new SpdkTransportError('closed', 'connection closed');
    expect(translate(busy, 'x')).toBe(busy);
    expect(translate(lost, 'x')).toBe(lost);
  });
});
