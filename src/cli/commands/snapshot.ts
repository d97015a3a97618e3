/** spdk-conductor snapshot create|list|delete|revert|purge */
import { invoke } from '../../api/client.js';
import type { Snapshot__Output } from '../../api/generated/spdk/conductor/v1/Snapshot.js';
import { EXIT } from '../exit-codes.js';
import type { CommandSpec } from './context.js';
import { fields, formatSize, json, table, timestampText } from './format.js';
import { UsageError } from './usage.js';

/** The message with its time as RFC 3339 text, as proto3's JSON mapping writes a Timestamp. */
function snapshotJson(snapshot: Snapshot__Output): unknown {
  return { ...snapshot, createdAt: timestampText(snapshot.createdAt) };
}

export function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function childrenText(children: string[]): string {
  return children.map((c) => (c === '' ? '(head)' : c)).join(',');
}

export function parseLabels(values: string[] | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of values ?? []) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`--label ${JSON.stringify(item)} is not KEY=VALUE`);
    labels[item.slice(0, at)] = item.slice(at + 1);
  }
  return labels;
}

export const snapshotCommands: CommandSpec[] = [
  {
    name: 'snapshot create',
    args: ['REPLICA', 'NAME'],
    options: ['label', 'system'],
    usage: 'snapshot create REPLICA NAME [--label KEY=VALUE ...] [--system]   (--system: purge may delete it)',
    prepare(values, [replicaName, name]) {
      const request = { replicaName: replicaName!, name: name!, labels: parseLabels(values.label), userCreated: !values.system };
      return async ({ api, call, out, json: asJson }) => {
        const s = await invoke(api.snapshots, 'SnapshotCreate', request, call);
        out(
          asJson
            ? json(snapshotJson(s))
            : fields([
                ['name', s.name],
                ['replica', s.replicaName],
                ['created', timestampText(s.createdAt)],
                ['parent', s.parent],
                ['children', childrenText(s.children)],
                ['size', formatSize(s.sizeBytes)],
                ['allocated', formatSize(s.allocatedBytes)],
                ['made by', s.userCreated ? 'user' : 'system'],
                ['labels', labelsText(s.labels)],
              ]),
        );
        return EXIT.OK;
      };
    },
  },
  {
    name: 'snapshot list',
    args: ['REPLICA'],
    options: [],
    usage: 'snapshot list REPLICA   (oldest first)',
    prepare:
      (_values, [replicaName]) =>
      async ({ api, call, out, json: asJson }) => {
        const { snapshots } = await invoke(api.snapshots, 'SnapshotList', { replicaName: replicaName! }, call);
        if (asJson) out(json(snapshots.map(snapshotJson)));
        else
          out(
            table(
              ['NAME', 'PARENT', 'CHILDREN', 'CREATED', 'SIZE', 'ALLOCATED', 'BY', 'LABELS'],
              snapshots.map((s) => [
                s.name,
                s.parent,
                childrenText(s.children),
                timestampText(s.createdAt),
                formatSize(s.sizeBytes),
                formatSize(s.allocatedBytes),
                s.userCreated ? 'user' : 'system',
                labelsText(s.labels),
              ]),
            ),
          );
        return EXIT.OK;
      },
  },
  {
    name: 'snapshot delete',
    args: ['REPLICA', 'NAME'],
    options: [],
    usage: 'snapshot delete REPLICA NAME   (merged into its only child)',
    prepare:
      (_values, [replicaName, name]) =>
      async ({ api, call, out, json: asJson }) => {
        const response = await invoke(api.snapshots, 'SnapshotDelete', { replicaName: replicaName!, name: name! }, call);
        out(asJson ? json(response) : response.alreadyAbsent ? `snapshot ${name} of replica ${replicaName} already absent: nothing deleted\n` : `deleted snapshot ${name} of replica ${replicaName}\n`);
        return EXIT.OK;
      },
  },
  {
    name: 'snapshot revert',
    args: ['REPLICA', 'NAME'],
    options: ['force'],
    usage: 'snapshot revert REPLICA NAME [--force]   (the replica must not be exposed; --force: also while a local engine uses it)',
    prepare:
      (values, [replicaName, name]) =>
      async ({ api, call, out, json: asJson }) => {
        const replica = await invoke(api.snapshots, 'SnapshotRevert', { replicaName: replicaName!, name: name!, force: Boolean(values.force) }, call);
        out(asJson ? json(replica) : `replica ${replica.name} now starts from snapshot ${name}\n`);
        return EXIT.OK;
      },
  },
  {
    name: 'snapshot purge',
    args: ['REPLICA'],
    options: [],
    usage: 'snapshot purge REPLICA   (deletes system-made snapshots where SPDK allows)',
    prepare:
      (_values, [replicaName]) =>
      async ({ api, call, out, json: asJson }) => {
        const response = await invoke(api.snapshots, 'SnapshotPurge', { replicaName: replicaName! }, call);
        if (asJson) out(json(response));
        else out(response.deleted.length ? `deleted ${response.deleted.join(', ')}\n` : 'nothing to purge\n');
        return EXIT.OK;
      },
  },
];
