/**
 * The engine commands as a user runs them: the built CLI as a process, talking over a temp Unix
 * socket to an API server in this process backed by the fake domain. Replica specs and overrides
 * become the domain's request, answers print as fields and tables (members with state and why) or
 * --json, and exit codes say what happened.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConductorError } from '../../src/errors.js';
import { startTestApi, waitFor, type TestApi } from '../api/helpers/api-server.js';
import { FAKE_EXPORT_ADDRESS } from '../api/helpers/fake-engines.js';
import type { FakeDomain } from '../api/helpers/fake-domain.js';

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');
const GiB = 1024 ** 3;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10';
const R1_NQN = 'nqn.2024-11.io.spdk-conductor:replica:r1';
const R1 = `name=r1,address=10.0.0.5,port=20001,nqn=${R1_NQN}`;

let api: TestApi;
let domain: FakeDomain;

function env(): Record<string, string> {
  return { CONDUCTOR_API_SOCKET: api.socketPath, CONDUCTOR_LOG_LEVEL: 'warn' };
}

function run(args: string[]) {
  return execa(process.execPath, [CLI, ...args], { reject: false, env: env(), extendEnv: false, timeout: 30_000 });
}

/** Splits a table into rows of cells (columns are two or more spaces apart). */
function rows(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));
}

beforeEach(async () => {
  api = await startTestApi();
  domain = api.domain;
  await domain.diskCreate({ name: 'd1', path: '/dev/sda' });
  for (const r of ['r2', 'r3']) await domain.replicaCreate(r, 'd1', GiB);
  domain.calls.length = 0;
});
afterEach(async () => {
  await api.close();
});

async function createVol1(): Promise<void> {
  await domain.engineCreate({
    name: 'vol1',
    sizeBytes: GiB,
    replicas: [
      { name: 'r1', kind: 'remote', address: '10.0.0.5', port: 20001, nqn: R1_NQN },
      { name: 'r2', kind: 'local' },
    ],
    frontend: 'export-only',
    hostNqns: [HOST],
  });
  domain.calls.length = 0;
}

describe('engine create', () => {
  it('sends remote and local replicas, hosts and overrides, and prints the engine with its members', async () => {
    const result = await run([
      'engine',
      'create',
      'vol1',
      '--size',
      '1GiB',
      '--replica',
      R1,
      '--replica',
      'name=r2,local',
      '--frontend',
      'export-only',
      '--host',
      HOST,
      '--override',
      'replica.ctrlrLossTimeoutSec=10',
      '--override',
      'host.ctrlLossTmoSec=90',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(domain.calls.map((c) => c.args)).toEqual([
      [
        {
          name: 'vol1',
          sizeBytes: GiB,
          replicas: [
            { name: 'r1', kind: 'remote', address: '10.0.0.5', port: 20001, nqn: R1_NQN },
            { name: 'r2', kind: 'local' },
          ],
          frontend: 'export-only',
          hostNqns: [HOST],
          timeouts: { host: { ctrlLossTmoSec: 90 }, replica: { ctrlrLossTimeoutSec: 10 } },
        },
      ],
    ]);
    expect(result.stdout).toMatch(/^state\s+healthy: 2 of 2 members healthy$/m);
    expect(result.stdout).toMatch(/^frontend\s+export-only$/m);
    expect(result.stdout).toMatch(new RegExp(`^listening\\s+${FAKE_EXPORT_ADDRESS}:21000$`, 'm'));
    expect(result.stdout).toMatch(/^ctrl-loss-tmo\s+90 s \(what hosts must connect with\)$/m);
    expect(result.stdout).toMatch(/^connect\s+nvme connect -t tcp -a 10\.0\.0\.9 -s 21000 -n nqn\.2024-11\.io\.spdk-conductor:volume:vol1 --ctrl-loss-tmo 90$/m);
    const table = result.stdout.slice(result.stdout.indexOf('MEMBER'));
    expect(rows(table)).toEqual([
      ['MEMBER', 'LOCATION', 'STATE', 'CONTROLLER', 'BDEV', 'REASON'],
      ['r1', 'remote', 'healthy', 'enabled', 'ec.vol1.r1n1', 'in the raid'],
      ['r2', 'local', 'healthy', '-', 'lvs.d1/r.r2', 'in the raid'],
    ]);
  });

  it('--json prints the API message', async () => {
    const result = await run(['engine', 'create', 'vol1', '--size', '1GiB', '--replica', 'name=r2,local', '--replica', 'name=r3,local', '--frontend', 'nvme-host', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'vol1', state: 'ENGINE_STATE_HEALTHY', frontend: { kind: 'FRONTEND_KIND_NVME_HOST', device: '/dev/nvme1n1' } });
  });

  it('exits 6 for a different engine under the same name and 7 when nvme-host is not available', async () => {
    await createVol1();
    const exists = await run(['engine', 'create', 'vol1', '--size', '2GiB', '--replica', R1, '--replica', 'name=r2,local', '--frontend', 'export-only', '--host', HOST]);
    expect(exists.exitCode).toBe(6);
    expect(exists.stderr).toBe('spdk-conductor: engine vol1 exists with another configuration; delete it first [ENGINE_EXISTS]');
    domain.engines.hostFrontend = false;
    const noHost = await run(['engine', 'create', 'vol2', '--size', '1GiB', '--replica', 'name=r2,local', '--replica', 'name=r3,local', '--frontend', 'nvme-host']);
    expect(noHost.exitCode).toBe(7);
    expect(noHost.stderr).toMatch(/nvme-host frontend is not available on this node.*\[HOST_NVME_UNAVAILABLE\]/);
  });

  it('exits 3 when too few replicas are reachable, and 2 when the service refuses the request', async () => {
    const few = await run(['engine', 'create', 'vol1', '--size', '1GiB', '--replica', 'name=r2,local', '--replica', 'name=ghost,local', '--frontend', 'export-only', '--host', HOST]);
    expect(few.exitCode).toBe(3);
    expect(few.stderr).toMatch(/needs at least 2 reachable replicas to start, 1 reachable \[REPLICA_UNREACHABLE\]/);
    const badNqn = await run([
      'engine',
      'create',
      'vol1',
      '--size',
      '1GiB',
      '--replica',
      'name=r1,address=10.0.0.5,port=20001,nqn=r1',
      '--replica',
      'name=r2,local',
      '--frontend',
      'export-only',
      '--host',
      HOST,
    ]);
    expect(badNqn.exitCode).toBe(2);
    expect(badNqn.stderr).toMatch(/replicas\[0\]\.remote\.nqn: "r1" is not an NQN/);
    domain.failNext('engineCreate', new ConductorError('INVALID_TIMEOUTS', 'timeout override refused: [ours.io-failover-before-host-io-timeout] member failed too late'));
    const broken = await run([
      'engine',
      'create',
      'vol1',
      '--size',
      '1GiB',
      '--replica',
      'name=r2,local',
      '--replica',
      'name=r3,local',
      '--frontend',
      'nvme-host',
      '--override',
      'replica.fastIoFailTimeoutSec=40',
    ]);
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr).toMatch(/\[ours\.io-failover-before-host-io-timeout\]/);
  });
});

describe('engine get, list, replica-list', () => {
  it('engine get prints every member with its state and reason', async () => {
    await createVol1();
    domain.engines.setMemberState('vol1', 'r1', 'missing', 'no controller: it was never attached, or bdev_nvme gave it up after ctrlr_loss_timeout_sec');
    const result = await run(['engine', 'get', 'vol1']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^state\s+degraded: 1 of 2 members healthy \(r1 missing\)$/m);
    expect(rows(result.stdout.slice(result.stdout.indexOf('MEMBER')))).toEqual([
      ['MEMBER', 'LOCATION', 'STATE', 'CONTROLLER', 'BDEV', 'REASON'],
      ['r1', 'remote', 'missing', '-', 'ec.vol1.r1n1', 'no controller: it was never attached, or bdev_nvme gave it up after ctrlr_loss_timeout_sec'],
      ['r2', 'local', 'healthy', '-', 'lvs.d1/r.r2', 'in the raid'],
    ]);
  });

  it('engine get exits 5 for a missing engine', async () => {
    const result = await run(['engine', 'get', 'ghost']);
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toBe('spdk-conductor: engine ghost does not exist on this node [ENGINE_NOT_FOUND]');
  });

  it('engine repair prints what it did and the engine, exits 1 with the reason when it cannot, 5 for a missing engine', async () => {
    await createVol1();
    domain.engines.repairReport = { actions: ['attached r1', 'exported again at nqn.2024-11.io.spdk-conductor:volume:vol1 port 20002'], problem: undefined };
    const repaired = await run(['engine', 'repair', 'vol1']);
    expect(repaired.exitCode, repaired.stderr).toBe(0);
    expect(repaired.stdout.split('\n').slice(0, 3)).toEqual(['repair of engine vol1:', '  attached r1', '  exported again at nqn.2024-11.io.spdk-conductor:volume:vol1 port 20002']);
    expect(repaired.stdout).toMatch(/^name\s+vol1$/m);

    domain.engines.repairReport = { actions: [], problem: 'raid e.vol1 is configuring: 1 member(s) it needs are not back yet' };
    const stuck = await run(['engine', 'repair', 'vol1', '--json']);
    expect(stuck.exitCode).toBe(1);
    expect(JSON.parse(stuck.stdout)).toMatchObject({ actions: [], problem: 'raid e.vol1 is configuring: 1 member(s) it needs are not back yet', engine: { name: 'vol1' } });

    const ghost = await run(['engine', 'repair', 'ghost']);
    expect(ghost.exitCode).toBe(5);
  });

  it('engine list is a table; --json an array', async () => {
    await createVol1();
    const text = await run(['engine', 'list']);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(rows(text.stdout)).toEqual([
      ['NAME', 'SIZE', 'STATE', 'MEMBERS', 'FRONTEND', 'LISTENING', 'REASON'],
      ['vol1', '1 GiB', 'healthy', '2/2', 'export-only', `${FAKE_EXPORT_ADDRESS}:21000`, '2 of 2 members healthy'],
    ]);
    const asJson = await run(['engine', 'list', '--json']);
    expect((JSON.parse(asJson.stdout) as { name: string }[]).map((e) => e.name)).toEqual(['vol1']);
  });

  it('engine replica-list shows the members; --json the API members', async () => {
    await createVol1();
    domain.engines.setMemberState('vol1', 'r1', 'failed', 'not in the raid; controller resetting');
    const text = await run(['engine', 'replica-list', 'vol1']);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(rows(text.stdout)[1]).toEqual(['r1', 'remote', 'failed', 'enabled', 'ec.vol1.r1n1', 'not in the raid; controller resetting']);
    const asJson = await run(['engine', 'replica-list', 'vol1', '--json']);
    expect(JSON.parse(asJson.stdout)).toEqual([
      {
        name: 'r1',
        location: 'REPLICA_LOCATION_REMOTE',
        bdevName: 'ec.vol1.r1n1',
        state: 'MEMBER_STATE_FAILED',
        reason: 'not in the raid; controller resetting',
        controllerState: 'enabled',
        stale: false,
        staleReason: '',
      },
      { name: 'r2', location: 'REPLICA_LOCATION_LOCAL', bdevName: 'lvs.d1/r.r2', state: 'MEMBER_STATE_HEALTHY', reason: 'in the raid', controllerState: '', stale: false, staleReason: '' },
    ]);
  });
});

describe('engine replica-remove, replica-add, delete', () => {
  it('removes a replica saying it may now be torn down, adds one that rebuilds, and deletes the engine', async () => {
    await createVol1();
    const removed = await run(['engine', 'replica-remove', 'vol1', 'r1']);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stdout.split('\n')[0]).toBe('replica r1 is out of engine vol1; it may now be deleted on its node');
    expect(domain.calls.map((c) => [c.method, c.args])).toEqual([['engineReplicaRemove', ['vol1', 'r1']]]);

    const added = await run(['engine', 'replica-add', 'vol1', '--replica', 'name=r3,local']);
    expect(added.exitCode, added.stderr).toBe(0);
    expect(domain.calls.at(-1)?.args).toEqual(['vol1', { name: 'r3', kind: 'local' }]);
    expect(added.stdout).toMatch(/^rebuild\s+lvs\.d1\/r\.r3: 0% \(0 blocks copied\)$/m);
    expect(added.stdout).toMatch(/^r3\s+local\s+rebuilding\s+-\s+lvs\.d1\/r\.r3\s+rebuilding, 0%$/m);

    const deleted = await run(['engine', 'delete', 'vol1']);
    expect([deleted.exitCode, deleted.stdout]).toEqual([0, 'deleted engine vol1']);
    const again = await run(['engine', 'delete', 'vol1', '--json']);
    expect(again.exitCode).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ alreadyAbsent: true });
  });
});

describe('engine watch', () => {
  it('prints the engines, SYNCED and changes with reasons, and exits 0 on SIGINT leaving no subscription', async () => {
    await createVol1();
    const child = execa(process.execPath, [CLI, 'engine', 'watch'], { reject: false, env: env(), extendEnv: false, timeout: 30_000 });
    let out = '';
    let exited: string | undefined;
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    void child.then((r) => (exited = `exit ${r.exitCode}: ${r.stderr}`));
    const until = (what: string, condition: () => boolean) =>
      waitFor(
        what,
        () => {
          if (exited !== undefined) throw new Error(`the CLI ended first (${exited})`);
          return condition() || undefined;
        },
        15_000,
      );
    await until('SYNCED', () => out.includes('SYNCED'));
    domain.engines.setMemberState('vol1', 'r1', 'failed', 'not in the raid; controller resetting');
    await until('the change', () => out.trim().split('\n').length === 3);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => l.replace(/^\S+\s+/, ''));
    expect(lines).toEqual([
      'ADDED     vol1  state=healthy members=r1:healthy,r2:healthy  (initial list)',
      'SYNCED      (1 engines)',
      'MODIFIED  vol1  state=degraded members=r1:failed,r2:healthy  (1 of 2 members healthy (r1 failed))',
    ]);
    expect(domain.engines.listenerCount).toBe(1);
    child.kill('SIGINT');
    expect((await child).exitCode).toBe(0);
    await waitFor('the subscription to end', () => domain.engines.listenerCount === 0);
  });
});

describe('engine command line errors exit 2 and contact nothing', () => {
  const create = ['engine', 'create', 'vol1', '--size', '1GiB'];
  it.each([
    [[...create, '--replica', 'name=r2,local', '--frontend', 'nvme-host'], /engine create needs at least 2 --replica name=NAME,address=IP/],
    [[...create, '--replica', 'name=r2,local', '--replica', 'name=r3,local'], /engine create needs --frontend: nvme-host .* or export-only/],
    [[...create, '--replica', 'name=r2,local', '--replica', 'name=r3,local', '--frontend', 'iscsi'], /--frontend "iscsi" is not a frontend; use nvme-host or export-only/],
    [[...create, '--replica', 'name=r2,local', '--replica', 'name=r3,local', '--frontend', 'export-only'], /an export-only engine needs at least one --host NQN/],
    [[...create, '--replica', 'name=r1,address=10.0.0.5,port=20001', '--replica', 'name=r3,local', '--frontend', 'nvme-host'], /a remote replica needs nqn \(or add "local"/],
    [[...create, '--replica', 'name=r1,address=10.0.0.5,local', '--replica', 'name=r3,local', '--frontend', 'nvme-host'], /a local replica takes only its name, not address/],
    [[...create, '--replica', 'r1,local', '--replica', 'name=r3,local', '--frontend', 'nvme-host'], /unknown key "r1"/],
    [[...create, '--replica', 'name=r1,name=r2,local', '--replica', 'name=r3,local', '--frontend', 'nvme-host'], /name is given twice/],
    [[...create, '--replica', `name=r1,address=10.0.0.5,port=http,nqn=${R1_NQN}`, '--replica', 'name=r3,local', '--frontend', 'nvme-host'], /port "http" is not a TCP port/],
    [[...create, '--replica', 'address=10.0.0.5,local', '--replica', 'name=r3,local', '--frontend', 'nvme-host'], /name=NAME is required/],
    [[...create, '--replica', 'name=r2,local', '--replica', 'name=r3,local', '--frontend', 'nvme-host', '--override', 'replica.lossSec=3'], /--override "replica\.lossSec=3" is not FIELD=INTEGER/],
    [[...create, '--replica', 'name=r2,local', '--replica', 'name=r3,local', '--frontend', 'nvme-host', '--override', 'host.ctrlLossTmoSec=-1'], /--override host\.ctrlLossTmoSec=-1 is out of range/],
    [['engine', 'create', 'vol1', '--replica', 'name=r2,local', '--replica', 'name=r3,local', '--frontend', 'nvme-host'], /engine create needs --size/],
    [['engine', 'replica-add', 'vol1'], /engine replica-add needs a --replica/],
    [['engine', 'replica-add', 'vol1', '--replica', 'name=r2,local', '--replica', 'name=r3,local'], /takes one --replica; run it once per replica/],
    [['engine', 'replica-remove', 'vol1'], /usage: spdk-conductor engine replica-remove NAME REPLICA/],
    [['engine', 'get', 'vol1', '--replica', 'name=r2,local'], /--replica does not apply to "engine get"/],
    [['engine', 'frob'], /unknown command "engine frob"; engine commands: create, get, list, delete, repair, watch, replica-list, replica-remove, replica-add/],
  ])('%j', async (args, message) => {
    const result = await run(args);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(domain.calls).toEqual([]);
  });

  it('help lists the engine commands', async () => {
    const result = await run(['help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('engine create NAME --size SIZE --replica SPEC --replica SPEC [...] --frontend nvme-host|export-only');
    expect(result.stdout).toContain('engine replica-remove NAME REPLICA');
    expect(result.stdout).toContain('timeouts check');
  });
});
