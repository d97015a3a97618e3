/** spdk-conductor engine create|get|list|delete|repair|watch|replica-list|replica-remove|replica-add */
import { invoke } from '../../api/client.js';
import type { Engine__Output } from '../../api/generated/spdk/conductor/v1/Engine.js';
import type { EngineEvent__Output } from '../../api/generated/spdk/conductor/v1/EngineEvent.js';
import type { EngineMember__Output } from '../../api/generated/spdk/conductor/v1/EngineMember.js';
import type { EngineReplica } from '../../api/generated/spdk/conductor/v1/EngineReplica.js';
import { EXIT } from '../exit-codes.js';
import type { CommandContext, CommandSpec } from './context.js';
import { parseFrontend, parseOverrides, parseReplicaSpecs, REPLICA_API_HELP, REPLICA_SPEC_HELP } from './engine-args.js';
import { fields, formatSize, json, parseSize, table, type Cell } from './format.js';
import { followRebuild } from './rebuild.js';
import { eventLine, follow } from './stream.js';
import { UsageError } from './usage.js';
import { everyPage } from './pages.js';
import { volumeRows } from './engine-volume.js';

const SPEC_HELP = `${REPLICA_SPEC_HELP}; ${REPLICA_API_HELP}`;

/** Time for one RebuildGet while following: the answer comes from memory, so longer means unreachable. */
const POLL_DEADLINE_MS = 5000;

async function addAndWait(ctx: CommandContext, request: { name: string; replica: EngineReplica }): Promise<number> {
  const replica = (request.replica.remote ?? request.replica.local)!.name!;
  const engine = await invoke(ctx.api.engines, 'EngineReplicaAdd', request, ctx.call);
  const member = engine.members.find((m) => m.name === replica);
  if (member?.state === 'MEMBER_STATE_HEALTHY' && !engine.rebuilds.some((r) => r.replica === replica)) {
    // Added before and rebuilt already (the add is idempotent): nothing to follow.
    ctx.out(ctx.json ? json(engine) : `replica ${replica} is already a healthy member of engine ${request.name}; nothing to rebuild\n`);
    return EXIT.OK;
  }
  if (!ctx.json) ctx.out(`replica ${replica} is in engine ${request.name}; waiting for its rebuild (Ctrl-C stops the waiting, not the rebuild)\n`);
  const deadlineMs = Math.min(ctx.call.deadlineMs ?? POLL_DEADLINE_MS, POLL_DEADLINE_MS);
  return followRebuild({
    engine: request.name,
    replica,
    get: () => invoke(ctx.api.engines, 'RebuildGet', { engine: request.name, replica }, { deadlineMs, signal: ctx.call.signal }),
    signal: ctx.call.signal,
    out: ctx.out,
    err: (text) => process.stderr.write(text),
    tty: Boolean(process.stdout.isTTY),
    width: () => process.stdout.columns || 80,
    json: ctx.json,
  });
}

/** ENGINE_STATE_DEGRADED → degraded: the enum's own word, as people read it. */
function word(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length).toLowerCase().replace(/_/g, '-') : value;
}

const stateText = (engine: Engine__Output): string => word(engine.state, 'ENGINE_STATE_');
const memberState = (member: EngineMember__Output): string => word(member.state, 'MEMBER_STATE_');
const location = (member: EngineMember__Output): string => word(member.location, 'REPLICA_LOCATION_');

function membersTable(members: readonly EngineMember__Output[]): string {
  return table(
    ['MEMBER', 'LOCATION', 'STATE', 'CONTROLLER', 'BDEV', 'REASON'],
    members.map((m) => [m.name, location(m), memberState(m), m.controllerState, m.bdevName, m.reason]),
  );
}

function engineFields(engine: Engine__Output): string {
  const f = engine.frontend;
  const rows: (readonly [string, Cell])[] = [
    ['name', engine.name],
    ['size', `${formatSize(engine.sizeBytes)} (${engine.sizeBytes} bytes)`],
    ['state', `${stateText(engine)}: ${engine.reason}`],
    ['raid', `${engine.raidName}${engine.superblock ? ' (superblock)' : ' (no superblock: made again from the record after a restart)'}`],
  ];
  if (f) {
    rows.push(
      ['frontend', word(f.kind, 'FRONTEND_KIND_')],
      ['nqn', f.nqn],
      ['listening', `${f.address}:${f.port}`],
      ['hosts', f.hostNqns.join(', ')],
      ['namespace', `uuid ${f.namespaceUuid}, nguid ${f.namespaceNguid}`],
      ['device', f.device],
      ['ctrl-loss-tmo', `${f.recommendedCtrlLossTmoSec} s (what hosts must connect with)`],
      ['connect', f.connectCommand],
    );
  }
  const r = engine.rebuild;
  rows.push(['rebuild', r ? `${r.member}: ${r.percent}% (${r.blocks} blocks copied)` : 'none']);
  rows.push(...volumeRows(engine));
  const s = engine.salvage;
  if (s) {
    rows.push(['salvage', `source ${s.source} (${s.rule}): ${s.reason}`]);
    for (const m of s.members.filter((v) => v.verdict !== 'source')) rows.push(['', `${m.replica} ${m.verdict}: ${m.reason}`]);
  }
  return `${fields(rows)}\n${membersTable(engine.members)}`;
}

function showEngine(ctx: CommandContext, engine: Engine__Output, headline?: string): number {
  ctx.out(ctx.json ? json(engine) : `${headline ? `${headline}\n\n` : ''}${engineFields(engine)}`);
  return EXIT.OK;
}

function engineEventLine(event: EngineEvent__Output): string {
  const e = event.engine;
  const what = e ? `${e.name}  state=${stateText(e)} members=${e.members.map((m) => `${m.name}:${memberState(m)}`).join(',')}` : '';
  return eventLine(event.type, what, event.reason);
}

export const engineCommands: CommandSpec[] = [
  {
    name: 'engine create',
    args: ['NAME'],
    options: ['size', 'replica', 'frontend', 'host', 'override', 'source'],
    usage:
      'engine create NAME --size SIZE --replica SPEC --replica SPEC [...] --frontend nvme-host|export-only [--host HOSTNQN ...] [--override FIELD=VALUE ...] [--source REPLICA]\n' +
      `      SPEC: ${SPEC_HELP}\n` +
      '      --host: hosts that may connect (required for export-only); --override: a timeout budget field for this engine, e.g. replica.ctrlrLossTimeoutSec=10\n' +
      '      --source: over replicas that hold data (the engine made again after a crash), the one the others are rebuilt from; without it the node chooses (engine get shows the choice)',
    prepare(values, [name]) {
      if (values.size === undefined) throw new UsageError('engine create needs --size (e.g. 10GiB)');
      const frontend = parseFrontend(values.frontend);
      if (frontend === 'FRONTEND_KIND_EXPORT_ONLY' && !values.host?.length) {
        throw new UsageError('an export-only engine needs at least one --host NQN (the hosts that may connect to it)');
      }
      const timeouts = parseOverrides(values.override);
      const request = {
        name: name!,
        sizeBytes: parseSize('size', values.size),
        replicas: parseReplicaSpecs(values.replica, 'engine create', 2),
        frontend,
        hostNqns: values.host ?? [],
        ...(timeouts ? { timeouts } : {}),
        ...(values.source !== undefined ? { source: values.source } : {}),
      };
      return async (ctx) => showEngine(ctx, await invoke(ctx.api.engines, 'EngineCreate', request, ctx.call));
    },
  },
  {
    name: 'engine get',
    args: ['NAME'],
    options: [],
    usage: 'engine get NAME   (state, frontend, and every member with its state and why)',
    prepare:
      (_values, [name]) =>
      async (ctx) =>
        showEngine(ctx, await invoke(ctx.api.engines, 'EngineGet', { name: name! }, ctx.call)),
  },
  {
    name: 'engine list',
    args: [],
    options: [],
    usage: 'engine list',
    prepare:
      () =>
      async ({ api, call, out, json: asJson }) => {
        const engines = await everyPage(
          (pageToken) => invoke(api.engines, 'EngineList', { pageToken }, call),
          (a) => a.engines,
        );
        if (asJson) out(json(engines));
        else
          out(
            table(
              ['NAME', 'SIZE', 'STATE', 'MEMBERS', 'FRONTEND', 'LISTENING', 'REASON'],
              engines.map((e) => [
                e.name,
                formatSize(e.sizeBytes),
                stateText(e),
                `${e.members.filter((m) => m.state === 'MEMBER_STATE_HEALTHY').length}/${e.members.length}`,
                e.frontend ? word(e.frontend.kind, 'FRONTEND_KIND_') : '',
                e.frontend ? `${e.frontend.address}:${e.frontend.port}` : '',
                e.reason,
              ]),
            ),
          );
        return EXIT.OK;
      },
  },
  {
    name: 'engine delete',
    args: ['NAME'],
    options: [],
    usage: 'engine delete NAME   (frontend, export, raid and member controllers; the replicas stay)',
    prepare:
      (_values, [name]) =>
      async ({ api, call, out, json: asJson }) => {
        const response = await invoke(api.engines, 'EngineDelete', { name: name! }, call);
        out(asJson ? json(response) : response.alreadyAbsent ? `engine ${name} already absent: nothing deleted\n` : `deleted engine ${name}\n`);
        return EXIT.OK;
      },
  },
  {
    name: 'engine repair',
    args: ['NAME'],
    options: [],
    usage:
      'engine repair NAME   (reconcile the engine now: members attached again, raid checked against the record, export at its NQN and port; exit 1 with the reason when it cannot be brought back whole)',
    prepare:
      (_values, [name]) =>
      async (ctx) => {
        const { engine, actions, problem } = await invoke(ctx.api.engines, 'EngineRepair', { name: name! }, ctx.call);
        if (ctx.json) {
          ctx.out(json({ engine, actions, problem }));
        } else {
          const done = actions.length > 0 ? actions.map((a) => `  ${a}`).join('\n') : '  nothing to do: the engine was as recorded';
          ctx.out(`repair of engine ${name}:\n${done}\n${problem ? `not brought back whole: ${problem}\n` : ''}\n${engineFields(engine!)}`);
        }
        return problem ? EXIT.FAILED : EXIT.OK;
      },
  },
  {
    name: 'engine watch',
    args: [],
    options: [],
    usage: 'engine watch   (the current engines, then every change with its reason, until interrupted; --json: one object per line)',
    prepare: () => (ctx) => follow(ctx, ctx.api.engines.EngineWatch({}), engineEventLine),
  },
  {
    name: 'engine replica-list',
    args: ['NAME'],
    options: [],
    usage: 'engine replica-list NAME   (the members with state, reason and controller state)',
    prepare:
      (_values, [name]) =>
      async ({ api, call, out, json: asJson }) => {
        const { members } = await invoke(api.engines, 'EngineReplicaList', { name: name! }, call);
        out(asJson ? json(members) : membersTable(members));
        return EXIT.OK;
      },
  },
  {
    name: 'engine replica-remove',
    args: ['NAME', 'REPLICA'],
    options: [],
    usage: 'engine replica-remove NAME REPLICA   (out of the raid, detached, its bdev gone: then the replica may be deleted)',
    prepare:
      (_values, [name, replica]) =>
      async (ctx) =>
        showEngine(
          ctx,
          await invoke(ctx.api.engines, 'EngineReplicaRemove', { name: name!, replicaName: replica! }, ctx.call),
          `replica ${replica} is out of engine ${name}; it may now be deleted on its node`,
        ),
  },
  {
    name: 'engine replica-add',
    args: ['NAME'],
    options: ['replica', 'wait'],
    usage:
      'engine replica-add NAME --replica SPEC [--wait]   (attached and added to the raid; it is rebuilt in the background)\n' +
      '      --wait: follow the rebuild to its end with a progress line (--json: print the final rebuild). Exits 0 when it is done,\n' +
      '      7 when it failed (the reason is printed), 1 when it was cancelled, 3 when the service stays unreachable for 30 s,\n' +
      '      130 on Ctrl-C: that stops the waiting, not the rebuild (spdk-conductor rebuild cancel ENGINE REPLICA does)',
    prepare(values, [name]) {
      const specs = parseReplicaSpecs(values.replica, 'engine replica-add', 1);
      if (specs.length > 1) throw new UsageError('engine replica-add takes one --replica; run it once per replica');
      const request = { name: name!, replica: specs[0]! };
      if (values.wait) return (ctx) => addAndWait(ctx, request);
      return async (ctx) => showEngine(ctx, await invoke(ctx.api.engines, 'EngineReplicaAdd', request, ctx.call));
    },
  },
];
