/**
 * BackupJobs over a MemoryDataPath and a real state file, for tests that need no engines, and
 * what they look for in a target: its block keys, its markers.
 */
import path from 'node:path';
import pino from 'pino';
import { BackupJobs, type BackupJobsSettings } from '../../../src/domain/backup/jobs.js';
import type { JobInfo } from '../../../src/domain/backup/jobs-model.js';
import { StateFile } from '../../../src/domain/node/state-file.js';
import { ConductorError } from '../../../src/errors.js';
import { keys } from '../../../src/objectstore/format.js';
import type { ObjectStore } from '../../../src/objectstore/object-store.js';
import { makeStore, type TargetSpec } from '../../../src/objectstore/target-spec.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { type MemoryDataPath, memoryNodeCalls } from './memory-data-path.js';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function memoryJobs(data: MemoryDataPath, target: TargetSpec, overrides: Partial<BackupJobsSettings> = {}, stateFile = path.join(tempDir('bk-state-'), 'state.json')) {
  const state = StateFile.open(stateFile, log);
  const manager = new BackupJobs({
    dataPath: data,
    node: {
      snapshotList: async (replica) => data.list(replica),
      snapshotCreate: async () => {
        throw new Error('these tests name their snapshots');
      },
      snapshotDelete: async (replica, name) => data.deleteSnapshot(replica, name),
      engineMembers: (engine) => {
        throw new ConductorError('ENGINE_NOT_FOUND', `no engine ${engine}`);
      },
      ...memoryNodeCalls(data),
    },
    state,
    log,
    settings: {
      queueMax: 16,
      concurrency: 2,
      retries: 2,
      retryMinMs: 50,
      requestTimeoutMs: 2000,
      leaseMs: 30_000,
      stallMs: 60_000,
      queuedDeadlineMs: 600_000,
      sweepRetryMs: 300,
      defaultTarget: target,
      ...overrides,
    },
  });
  return { manager, state, stateFile };
}

export async function jobEnds(manager: BackupJobs, id: string, states: string[], timeoutMs = 60_000): Promise<JobInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = manager.jobGet(id);
    if (states.includes(info.state)) return info;
    if (Date.now() > deadline) throw new Error(`job ${id} is ${info.state} (${info.reason}), not ${states.join('|')} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The target's store, as the service opens it. */
export function openStore(target: TargetSpec): Promise<ObjectStore> {
  return makeStore(target, { requestTimeoutMs: 2000 });
}

/** The hashes of the volume's blocks in the target. */
export async function blockHashes(store: ObjectStore, volume: string): Promise<string[]> {
  const out: string[] = [];
  for await (const object of store.list(keys.blocks(volume))) out.push(object.key.slice(object.key.lastIndexOf('/') + 1));
  return out.sort();
}

export async function markerKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const object of store.list(prefix)) out.push(object.key);
  return out;
}
