/**
 * Paging at the API edge, over the fake domain (which answers every object, as a domain that knows
 * nothing of pages would): the default page and the largest, tokens refused when damaged or sent
 * to another List or filter, and the CLI reading every page into one --json document.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../src/api/paging.js';
import { refusal } from '../helpers/refusal.js';
import { startTestApi, type TestApi } from './helpers/api-server.js';

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../dist/src/cli/main.js');
const MiB = 1024 * 1024;
const COUNT = 1234;

let api: TestApi;
const names: string[] = [];

beforeAll(async () => {
  api = await startTestApi();
  await api.domain.diskCreate({ name: 'd1', path: '/dev/sda', kind: 'aio' });
  await api.domain.diskCreate({ name: 'd2', path: '/dev/sdb', kind: 'aio' });
  // Created out of name order: pages come in name order whatever the domain's order.
  for (let i = COUNT - 1; i >= 0; i--) {
    const name = `r${String(i).padStart(4, '0')}`;
    await api.domain.replicaCreate(name, i % 2 === 0 ? 'd1' : 'd2', MiB);
    names.unshift(name);
  }
});
afterAll(async () => {
  await api?.close();
});

const list = (request: { diskName?: string; pageSize?: number; pageToken?: string }) => invoke(api.clients.replicas, 'ReplicaList', { diskName: '', ...request });

describe('List pages at the edge', () => {
  it('answers a default page when page_size is 0, and never more than the largest page whatever is asked', async () => {
    const first = await list({});
    expect(first.replicas.map((r) => r.name)).toEqual(names.slice(0, DEFAULT_PAGE_SIZE));
    expect(first.nextPageToken).not.toBe('');
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await list({ pageSize: 1_000_000, pageToken });
      expect(page.replicas.length).toBeLessThanOrEqual(MAX_PAGE_SIZE);
      seen.push(...page.replicas.map((r) => r.name));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(seen).toEqual(names);
    expect(Math.ceil(COUNT / MAX_PAGE_SIZE)).toBeGreaterThan(1);
  });

  it('pages a filtered list with its filter, and refuses the token with another filter', async () => {
    const seen: string[] = [];
    let token = '';
    do {
      const page = await list({ diskName: 'd2', pageSize: 100, pageToken: token });
      seen.push(...page.replicas.map((r) => r.name));
      token = page.nextPageToken;
      if (token !== '') {
        const other = await refusal(list({ diskName: 'd1', pageSize: 100, pageToken: token }));
        expect(other).toMatchObject({ code: status.INVALID_ARGUMENT, conductorCode: 'INVALID_PAGE_TOKEN' });
      }
    } while (token !== '');
    expect(seen).toEqual(names.filter((n) => Number(n.slice(1)) % 2 === 1));
  });

  it('refuses damaged tokens, tokens of another List and a negative page_size with INVALID_ARGUMENT, and changes nothing', async () => {
    const token = (await list({ pageSize: 10 })).nextPageToken;
    for (const bad of ['garbage', 'not base64!', token.slice(0, -3), Buffer.from('[1,"ReplicaList",""]').toString('base64url'), 'x'.repeat(600)]) {
      expect(await refusal(list({ pageSize: 10, pageToken: bad }))).toMatchObject({ code: status.INVALID_ARGUMENT, conductorCode: 'INVALID_PAGE_TOKEN' });
    }
    const elsewhere = await refusal(invoke(api.clients.engines, 'EngineList', { pageSize: 10, pageToken: token }));
    expect(elsewhere).toMatchObject({ code: status.INVALID_ARGUMENT, conductorCode: 'INVALID_PAGE_TOKEN' });
    expect(elsewhere.details).toContain('page_token');
    expect(await refusal(list({ pageSize: -1 }))).toMatchObject({ code: status.INVALID_ARGUMENT, conductorCode: 'INVALID_ARGUMENT' });
    expect((await list({ pageSize: 10, pageToken: token })).replicas.map((r) => r.name)).toEqual(names.slice(10, 20));
  });

  it('the CLI follows the pages: replica list --json is one document with every replica, the table every row', async () => {
    const env = { CONDUCTOR_API_SOCKET: api.socketPath, CONDUCTOR_LOG_LEVEL: 'warn' };
    const asJson = await execa(process.execPath, [CLI, 'replica', 'list', '--json'], { env, extendEnv: false, timeout: 60_000 });
    expect((JSON.parse(asJson.stdout) as Array<{ name: string }>).map((r) => r.name)).toEqual(names);
    const table = await execa(process.execPath, [CLI, 'replica', 'list', '--disk', 'd1'], { env, extendEnv: false, timeout: 60_000 });
    expect(table.stdout.split('\n').slice(1)).toHaveLength(COUNT / 2);
    const calls = api.domain.calls.filter((c) => c.method === 'replicaList');
    expect(calls.length).toBeGreaterThanOrEqual(4);
  });
});
