/** spdk-conductor engine create|get|list|delete|watch|replica-list|replica-remove|replica-add */
import { invoke } from '../../api/client.js';
import type { Engine__Output } from '../../api/generated/spdk/conductor/v1/Engine.js';
import type { EngineEvent__Output } from '../../api/generated/spdk/conductor/v1/EngineEvent.js';
import type { EngineMember__Output } from '../../api/generated/spdk/conductor/v1/EngineMember.js';
import { EXIT } from '../exit-codes.js';
import type { CommandContext, CommandSpec } from './context.js';
import { parseFrontend, parseOverrides, parseReplicaSpecs, REPLICA_SPEC_HELP } from './engine-args.js';
import { fields, formatSize, json, parseSize, table, type Cell } from './format.js';
import { eventLine, follow } from './stream.js';
import { UsageError } from './usage.js';

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
    ['raid', engine.raidName],
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
    options: ['size', 'replica', 'frontend', 'host', 'override'],
    usage:
      'engine create NAME --size SIZE --replica SPEC --replica SPEC [...] --frontend nvme-host|export-only [--host HOSTNQN ...] [--override FIELD=VALUE ...]\n' +
      `      SPEC: ${REPLICA_SPEC_HELP}\n` +
      '      --host: hosts that may connect (required for export-only); --override: a timeout budget field for this engine, e.g. replica.ctrlrLossTimeoutSec=10',
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
      };
      return async (ctx) => showEngine(ctx, await invoke(ctx.api.engines, 'EngineCreate', request, ctx.call));
    },
  },
  {
    name: 'engine get',
    args: ['NAME'],
    options: [],
    usage: 'engine get NAME   (state, frontend, and every member with its state and why)',
    prepare: (_values, [name]) => async (ctx) => showEngine(ctx, await invoke(ctx.api.engines, 'EngineGet', { name: name! }, ctx.call)),
  },
  {
    name: 'engine list',
    args: [],
    options: [],
    usage: 'engine list',
    prepare:
      () =>
      async ({ api, call, out, json: asJson }) => {
        const { engines } = await invoke(api.engines, 'EngineList', {}, call);
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
        out(asJson ? json(response) : `deleted engine ${name}\n`);
        return EXIT.OK;
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
    options: ['replica'],
    usage: 'engine replica-add NAME --replica SPEC   (attached and added to the raid; spdk_tgt rebuilds it)',
    prepare(values, [name]) {
      const specs = parseReplicaSpecs(values.replica, 'engine replica-add', 1);
      if (specs.length > 1) throw new UsageError('engine replica-add takes one --replica; run it once per replica');
      const request = { name: name!, replica: specs[0]! };
      return async (ctx) => showEngine(ctx, await invoke(ctx.api.engines, 'EngineReplicaAdd', request, ctx.call));
    },
  },
];
