/** spdk-conductor engine snapshot-create|snapshot-list|snapshot-delete|snapshot-revert: snapshots of a whole volume. */
import { invoke } from '../../api/client.js';
import type { VolumeSnapshot__Output } from '../../api/generated/spdk/conductor/v1/VolumeSnapshot.js';
import { EXIT } from '../exit-codes.js';
import type { CommandSpec } from './context.js';
import { fields, json, table, timestampText } from './format.js';
import { labelsText, parseLabels } from './snapshot.js';

function snapshotJson(snapshot: VolumeSnapshot__Output): unknown {
  return { ...snapshot, createdAt: timestampText(snapshot.createdAt) };
}

export const engineSnapshotCommands: CommandSpec[] = [
  {
    name: 'engine snapshot-create',
    args: ['ENGINE', 'NAME'],
    options: ['label'],
    usage:
      'engine snapshot-create ENGINE NAME [--label KEY=VALUE ...]   (the same snapshot on every member in sync, all or nothing;\n' +
      '      taken under host writes it is "unverified": members may differ by the writes in flight, see docs/volume-operations.md)',
    prepare(values, [engine, name]) {
      const request = { engine: engine!, name: name!, labels: parseLabels(values.label) };
      return async ({ api, call, out, json: asJson }) => {
        const s = await invoke(api.engines, 'EngineSnapshotCreate', request, call);
        out(
          asJson
            ? json(snapshotJson(s))
            : fields([
                ['name', s.name],
                ['engine', s.engine],
                ['created', timestampText(s.createdAt)],
                ['members', s.members.join(', ')],
                ['consistency', s.consistency],
                ['labels', labelsText(s.labels)],
              ]),
        );
        return EXIT.OK;
      };
    },
  },
  {
    name: 'engine snapshot-list',
    args: ['ENGINE'],
    options: [],
    usage: 'engine snapshot-list ENGINE   (oldest first)',
    prepare:
      (_values, [engine]) =>
      async ({ api, call, out, json: asJson }) => {
        const { snapshots } = await invoke(api.engines, 'EngineSnapshotList', { engine: engine! }, call);
        if (asJson) out(json(snapshots.map(snapshotJson)));
        else
          out(
            table(
              ['NAME', 'CREATED', 'STATE', 'CONSISTENCY', 'MEMBERS', 'LABELS'],
              snapshots.map((s) => [s.name, timestampText(s.createdAt), s.state, s.consistency, s.members.join(','), labelsText(s.labels)]),
            ),
          );
        return EXIT.OK;
      },
  },
  {
    name: 'engine snapshot-delete',
    args: ['ENGINE', 'NAME'],
    options: [],
    usage: 'engine snapshot-delete ENGINE NAME   (on every member; deleting a missing one succeeds)',
    prepare:
      (_values, [engine, name]) =>
      async ({ api, call, out, json: asJson }) => {
        const response = await invoke(api.engines, 'EngineSnapshotDelete', { engine: engine!, name: name! }, call);
        out(asJson ? json(response) : `deleted volume snapshot ${name} of engine ${engine}\n`);
        return EXIT.OK;
      },
  },
  {
    name: 'engine snapshot-revert',
    args: ['ENGINE', 'SNAPSHOT'],
    options: ['source'],
    usage:
      'engine snapshot-revert ENGINE SNAPSHOT [--source REPLICA]   (the volume back to a volume snapshot: refused while hosts are connected;\n' +
      '      one member, the source, is reverted and the others rebuilt from it; the export comes back at the same NQN and port)',
    prepare(values, [engine, snapshot]) {
      const request = { engine: engine!, name: snapshot!, source: values.source ?? '' };
      return async ({ api, call, out, json: asJson }) => {
        const e = await invoke(api.engines, 'EngineSnapshotRevert', request, call);
        const rebuilding = e.rebuilds.map((r) => r.replica);
        out(
          asJson
            ? json(e)
            : fields([
                ['engine', e.name],
                ['reverted to', snapshot!],
                ['state', e.reason],
                ['rebuilding', rebuilding.join(', ') || 'none'],
                ['follow', `engine get ${e.name}, rebuild list --engine ${e.name}`],
              ]),
        );
        return EXIT.OK;
      };
    },
  },
];
