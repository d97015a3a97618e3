/** A rebuild's lifecycle events on the rebuild diagnostics channel, read off its RebuildInfo. */
import { rebuildChannel, type RebuildLifecycle } from '../../diagnostics.js';
import type { RebuildInfo } from '../model.js';

export function publishRebuild(event: RebuildLifecycle['event'], info: RebuildInfo, nowMs: number): void {
  if (!rebuildChannel.hasSubscribers) return;
  rebuildChannel.publish({
    event,
    engine: info.engine,
    replica: info.replica,
    state: info.state,
    path: info.path,
    reason: event === 'path-chosen' ? info.pathReason : info.reason,
    percent: info.percent,
    bytesDone: info.bytesDone,
    bytesTotal: info.bytesTotal,
    elapsedMs: nowMs - info.createdAtMs,
  });
}
