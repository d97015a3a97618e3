/** What an admitted piece of work will take of spdk_tgt: DMA memory (its size, whether in one piece) and subsystems. */
import { ConductorError } from '../../errors.js';
import type { AdmissionRequest } from './admission.js';

/** RAID_BDEV_PROCESS_MAX_QD: a rebuild allocates 16 windows up front, as one element (transcript 14, phase 5). */
export const REBUILD_WINDOWS = 16;
/**
 * DMA one NVMe/TCP controller takes: 59,904 bytes per attach, every attach alike (transcript 14,
 * phase 2: Free_size after cx1..cx55; six elements of 192 to 36,032 bytes each). The first attach of
 * a target takes another ~59 KiB once (its poll group), not counted.
 */
export const CONTROLLER_DMA_BYTES = 59_904;

export interface Estimate {
  bytes: number;
  onePiece: boolean;
  detail: string;
  subsystems: number;
}

/** The request checked (whole counts), and its estimate: a rebuild's windows, or controllers and subsystems. */
export function estimateOf(request: AdmissionRequest, windowKb: number): Estimate {
  for (const key of ['controllers', 'subsystems'] as const) {
    const n = request[key];
    if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new ConductorError('INVALID_ARGUMENT', `${request.what}: ${key} must be a whole number ≥ 0, not ${n}`);
  }
  const controllers = request.controllers ?? (request.kind === 'attach' ? 1 : 0);
  const subsystems = request.subsystems ?? (request.kind === 'engine' || request.kind === 'export' ? 1 : 0);
  if (request.kind === 'rebuild') {
    return { bytes: REBUILD_WINDOWS * windowKb * 1024, onePiece: true, detail: `${REBUILD_WINDOWS} × ${windowKb} KiB rebuild windows`, subsystems: 0 };
  }
  const detail = `${controllers} NVMe/TCP controller${controllers === 1 ? '' : 's'} × ${(CONTROLLER_DMA_BYTES / 1024).toFixed(1)} KiB`;
  return { bytes: controllers * CONTROLLER_DMA_BYTES, onePiece: false, detail, subsystems };
}
