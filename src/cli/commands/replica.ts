/** spdk-conductor replica create|get|list|expand|delete|expose|unexpose|watch */
import { invoke } from '../../api/client.js';
import type { CloneProgress__Output } from '../../api/generated/spdk/conductor/v1/CloneProgress.js';
import type { Replica__Output } from '../../api/generated/spdk/conductor/v1/Replica.js';
import type { ReplicaEvent__Output } from '../../api/generated/spdk/conductor/v1/ReplicaEvent.js';
import { EXIT } from '../exit-codes.js';
import type { CommandContext, CommandSpec } from './context.js';
import { fields, formatSize, json, parseSize, table } from './format.js';
import { connectAuthArgs, HOST_SPEC_HELP, hostRequestFields, parseHostSpec, type HostSpec } from './key-files.js';
import { eventLine, follow } from './stream.js';
import { UsageError } from './usage.js';
import { everyPage } from './pages.js';

function exportText(replica: Replica__Output): string {
  const e = replica.export;
  return e ? `${e.nqn} at ${e.address}:${e.port}` : 'not exposed';
}

function replicaFields(replica: Replica__Output): string {
  const e = replica.export;
  return fields([
    ['name', replica.name],
    ['disk', replica.diskName],
    ['size', `${formatSize(replica.sizeBytes)} (${replica.sizeBytes} bytes)`],
    ['allocated', formatSize(replica.allocatedBytes)],
    ['lvol', `${replica.lvolAlias} (${replica.lvolUuid})`],
    ['head parent', replica.headParent],
    ['snapshots', replica.snapshotCount],
    ['export', exportText(replica)],
    ...(e
      ? ([
          ['hosts', e.hostNqns.join(', ')],
          ['namespace', `uuid ${e.namespaceUuid}, nguid ${e.namespaceNguid}`],
        ] as const)
      : []),
    ...(e?.hostAuth.some((h) => h.dhchap || h.tls) ? ([['authentication', e.hostAuth.map(authText).join('; ')]] as const) : []),
    ...(replica.clone ? ([['clone', cloneText(replica.clone)]] as const) : []),
  ]);
}

function cloneText(c: CloneProgress__Output): string {
  const of = `of ${c.sourceReplica}/${c.snapshot}`;
  if (c.phase === 'inflating') return `inflating ${of} (spdk_tgt reports no progress until it is done)`;
  return `${c.phase} ${of}: ${c.percent}%, ${formatSize(c.bytesDone)} of ${formatSize(c.bytesTotal)}${c.phase === 'copying' ? `, snapshot ${c.step} of ${c.steps}` : ''}`;
}

/** How often `replica clone --wait` reads the new replica's progress while the clone runs. */
const CLONE_POLL_MS = 500;

/** The clone call, with the new replica's progress printed as it changes until the call answers. */
async function cloneAndWait(ctx: CommandContext, request: Parameters<typeof ctx.api.replicas.ReplicaClone>[0]): Promise<number> {
  let answered = false;
  const call = invoke(ctx.api.replicas, 'ReplicaClone', request, ctx.call).finally(() => {
    answered = true;
  });
  const follow = (async () => {
    let last = '';
    while (!answered) {
      await new Promise((resolve) => setTimeout(resolve, CLONE_POLL_MS));
      if (answered) return;
      // Not there yet (a clone here appears only when done), or the read failed: the call decides.
      const replica = await invoke(ctx.api.replicas, 'ReplicaGet', { name: request.name }, ctx.call).catch(() => undefined);
      const line = replica?.clone ? `${request.name}: ${cloneText(replica.clone)}` : '';
      if (line && line !== last && !ctx.json) ctx.out(line);
      last = line || last;
    }
  })();
  const replica = await call;
  await follow;
  return showReplica(ctx, replica);
}

/** What a host must do, never a key: "nqn: DH-HMAC-CHAP bidirectional, TLS". */
function authText(h: { nqn: string; dhchap: boolean; dhchapBidirectional: boolean; tls: boolean }): string {
  const parts = [...(h.dhchap ? [`DH-HMAC-CHAP ${h.dhchapBidirectional ? 'bidirectional' : 'one-way'}`] : []), ...(h.tls ? ['TLS'] : [])];
  return `${h.nqn}: ${parts.join(', ') || 'none'}`;
}

function showReplica(ctx: CommandContext, replica: Replica__Output, hosts?: readonly HostSpec[]): number {
  ctx.out(ctx.json ? json(replica) : replicaFields(replica) + connectHints(replica, hosts ?? []));
  return EXIT.OK;
}

/** After create/expose with keys: how each keyed host connects, pointing at its key files. */
function connectHints(replica: Replica__Output, hosts: readonly HostSpec[]): string {
  const e = replica.export;
  const keyed = hosts.filter((h) => Object.keys(h.files).length > 0);
  if (!e || keyed.length === 0) return '';
  const lines = keyed.map((h) => `connect ${h.nqn}: nvme connect -t tcp -a ${e.address} -s ${e.port} -n ${e.nqn} --hostnqn ${h.nqn} ${connectAuthArgs(h.files).join(' ')}`);
  const tls = keyed.filter((h) => h.files['psk-file']);
  if (tls.length > 0) lines.push(`TLS: the host's kernel takes the PSK from its .nvme keyring: import ${tls.map((h) => h.files['psk-file']).join(', ')} there (nvme tls-key --import) and run tlshd`);
  return `${lines.join('\n')}\n`;
}

function requireSize(values: { size?: string | undefined }, command: string): number {
  if (values.size === undefined) throw new UsageError(`${command} needs --size (e.g. 10GiB)`);
  return parseSize('size', values.size);
}

export const replicaCommands: CommandSpec[] = [
  {
    name: 'replica create',
    args: ['NAME'],
    options: ['disk', 'size', 'host'],
    usage: `replica create NAME --disk DISK --size SIZE [--host ${HOST_SPEC_HELP} ...]   (with --host, also exposed to those hosts; secrets only from files)`,
    prepare(values, [name]) {
      if (!values.disk) throw new UsageError('replica create needs --disk (the disk to put it on)');
      const hosts = (values.host ?? []).map(parseHostSpec);
      const request = { name: name!, diskName: values.disk, sizeBytes: requireSize(values, 'replica create'), ...hostRequestFields(hosts) };
      return async (ctx) => showReplica(ctx, await invoke(ctx.api.replicas, 'ReplicaCreate', request, ctx.call), hosts);
    },
  },
  {
    name: 'replica get',
    args: ['NAME'],
    options: [],
    usage: 'replica get NAME',
    prepare:
      (_values, [name]) =>
      async (ctx) =>
        showReplica(ctx, await invoke(ctx.api.replicas, 'ReplicaGet', { name: name! }, ctx.call)),
  },
  {
    name: 'replica list',
    args: [],
    options: ['disk'],
    usage: 'replica list [--disk DISK]',
    prepare:
      (values) =>
      async ({ api, call, out, json: asJson }) => {
        const replicas = await everyPage(
          (pageToken) => invoke(api.replicas, 'ReplicaList', { diskName: values.disk ?? '', pageToken }, call),
          (a) => a.replicas,
        );
        if (asJson) out(json(replicas));
        else
          out(
            table(
              ['NAME', 'DISK', 'SIZE', 'ALLOCATED', 'SNAPSHOTS', 'EXPORT'],
              replicas.map((r) => [r.name, r.diskName, formatSize(r.sizeBytes), formatSize(r.allocatedBytes), r.snapshotCount, r.export ? `${r.export.address}:${r.export.port}` : '']),
            ),
          );
        return EXIT.OK;
      },
  },
  {
    name: 'replica expand',
    args: ['NAME'],
    options: ['size', 'force'],
    usage: 'replica expand NAME --size SIZE [--force]   (the new, larger size; --force: also while an engine or a host uses it)',
    prepare(values, [name]) {
      const request = { name: name!, sizeBytes: requireSize(values, 'replica expand'), force: Boolean(values.force) };
      return async (ctx) => showReplica(ctx, await invoke(ctx.api.replicas, 'ReplicaExpand', request, ctx.call));
    },
  },
  {
    name: 'replica delete',
    args: ['NAME'],
    options: ['force'],
    usage: 'replica delete NAME [--force]   (its export and every snapshot go too; --force: also while an engine or a host uses it)',
    prepare:
      (values, [name]) =>
      async ({ api, call, out, json: asJson }) => {
        const response = await invoke(api.replicas, 'ReplicaDelete', { name: name!, force: Boolean(values.force) }, call);
        out(asJson ? json(response) : response.alreadyAbsent ? `replica ${name} already absent: nothing deleted\n` : `deleted replica ${name}\n`);
        return EXIT.OK;
      },
  },
  {
    name: 'replica clone',
    args: ['NAME', 'SOURCE', 'SNAPSHOT'],
    options: ['full', 'disk', 'source-node', 'wait'],
    usage:
      "replica clone NAME SOURCE SNAPSHOT [--full] [--disk DISK --source-node HOST:PORT] [--wait]   (a new replica from replica SOURCE's snapshot)\n" +
      "      linked by default (instant, on the snapshot's disk); --full: independent of the snapshot; with --source-node, SOURCE is\n" +
      "      on that node and its chain is copied into a new replica on --disk here; --wait: print the full clone's progress as it goes",
    prepare(values, [name, sourceReplica, snapshot]) {
      if (values['source-node'] && !values.full) throw new UsageError('a clone from another node is full: add --full');
      if (values['source-node'] && !values.disk) throw new UsageError('a clone from another node needs --disk, the disk here that takes it');
      if (!values['source-node'] && values.disk) throw new UsageError("--disk is for a clone from another node (--source-node); a clone here is on its snapshot's disk");
      const request = {
        name: name!,
        sourceReplica: sourceReplica!,
        snapshot: snapshot!,
        mode: values.full ? 'CLONE_MODE_FULL' : 'CLONE_MODE_LINKED',
        diskName: values.disk ?? '',
        sourceApiAddress: values['source-node'] ?? '',
      } as const;
      if (values.wait && values.full) return (ctx) => cloneAndWait(ctx, request);
      return async (ctx) => showReplica(ctx, await invoke(ctx.api.replicas, 'ReplicaClone', request, ctx.call));
    },
  },
  {
    name: 'replica expose',
    args: ['NAME'],
    options: ['host', 'add', 'replace', 'remove'],
    usage:
      `replica expose NAME --host ${HOST_SPEC_HELP} [--host ...] [--add | --replace | --remove]   (an exposed replica: --add keeps its hosts, --replace allows only these,\n` +
      '      --remove withdraws only these and their keys; secrets only from files)',
    prepare(values, [name]) {
      if (!values.host?.length) throw new UsageError('replica expose needs at least one --host NQN (replicas are never exported to any host)');
      if ([values.add, values.replace, values.remove].filter(Boolean).length > 1) throw new UsageError('replica expose takes one of --add, --replace and --remove');
      const mode = values.add ? 'EXPOSE_MODE_ADD' : values.replace ? 'EXPOSE_MODE_REPLACE' : values.remove ? 'EXPOSE_MODE_REMOVE' : 'EXPOSE_MODE_UNSPECIFIED';
      const hosts = values.host.map(parseHostSpec);
      if (values.remove && hosts.some((h) => Object.keys(h.files).length > 0)) throw new UsageError('replica expose --remove takes host NQNs only: their keys go with them');
      const request = { name: name!, ...hostRequestFields(hosts), mode } as const;
      return async (ctx) => {
        if (ctx.json) return showReplica(ctx, await invoke(ctx.api.replicas, 'ReplicaExpose', request, ctx.call));
        // Read first only to say what changed; the service decides, under the replica's lock.
        const before = (await invoke(ctx.api.replicas, 'ReplicaGet', { name: name! }, ctx.call)).export?.hostNqns ?? [];
        const replica = await invoke(ctx.api.replicas, 'ReplicaExpose', request, ctx.call);
        ctx.out(`${exposeOutcome(replica.name, before, replica.export?.hostNqns ?? [])}\n${replicaFields(replica)}${values.remove ? '' : connectHints(replica, hosts)}`);
        return EXIT.OK;
      };
    },
  },
  {
    name: 'replica unexpose',
    args: ['NAME'],
    options: [],
    usage: 'replica unexpose NAME',
    prepare:
      (_values, [name]) =>
      async (ctx) =>
        showReplica(ctx, await invoke(ctx.api.replicas, 'ReplicaUnexpose', { name: name! }, ctx.call)),
  },
  {
    name: 'replica watch',
    args: [],
    options: [],
    usage: 'replica watch   (the current list, then every change, until interrupted; --json: one object per line)',
    prepare: () => (ctx) => follow(ctx, ctx.api.replicas.ReplicaWatch({}), replicaEventLine),
  },
];

/** What an expose did, for people: made the export, added hosts, replaced the list, or nothing. */
function exposeOutcome(name: string, before: readonly string[], after: readonly string[]): string {
  const added = after.filter((h) => !before.includes(h));
  const removed = before.filter((h) => !after.includes(h));
  if (before.length === 0) return `exposed ${name} to ${after.length} host(s)`;
  if (added.length === 0 && removed.length === 0) return `unchanged: ${name} is already exposed to these hosts`;
  if (removed.length === 0) return `added ${added.length} host(s) to ${name}: ${added.join(', ')}`;
  if (added.length === 0) return `removed ${removed.length} host(s) from ${name}: ${removed.join(', ')}`;
  return `replaced the hosts of ${name}: added ${added.length ? added.join(', ') : 'none'}; removed ${removed.join(', ')}`;
}

function replicaEventLine(event: ReplicaEvent__Output): string {
  const r = event.replica;
  const what = r ? `${r.name}  disk=${r.diskName} size=${formatSize(r.sizeBytes)} export=${r.export ? `${r.export.address}:${r.export.port}` : '-'}` : '';
  return eventLine(event.type, what, event.reason);
}
