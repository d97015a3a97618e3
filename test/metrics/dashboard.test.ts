/**
 * The Grafana dashboard (deploy/grafana/spdk-conductor-node.json) asks only for metrics the
 * service has: every spdk_conductor_* name in its queries and variables is a family of the
 * registry (a histogram's _bucket, _sum and _count series belong to their family).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeMetrics } from '../../src/api/metrics/node-metrics.js';

const DASHBOARD = fileURLToPath(new URL('../../deploy/grafana/spdk-conductor-node.json', import.meta.url));

const metrics = new NodeMetrics({
  observe: () => {
    throw new Error('not scraped here');
  },
  loopDelay: () => ({ p50Ms: 0, p99Ms: 0, maxMs: 0, windowMs: 0, windowEnd: new Date(0).toISOString() }),
  volumeIo: () => undefined,
  volumeRates: () => ({ windowSec: 0, rates: [] }),
});
afterAll(() => metrics.close());

function queries(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) queries(item, out);
  else if (node && typeof node === 'object') {
    for (const [key, v] of Object.entries(node)) {
      if ((key === 'expr' || key === 'definition' || key === 'query') && typeof v === 'string') out.push(v);
      else queries(v, out);
    }
  }
  return out;
}

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: unknown[]; templating: unknown };
  const families = new Set(metrics.familyNames());

  it('queries only metric names the registry has', () => {
    const used = new Set(queries(dashboard).flatMap((q) => q.match(/\bspdk_conductor_[a-z0-9_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(30);
    const missing = [...used].filter((name) => !families.has(name) && !families.has(name.replace(/_(bucket|sum|count)$/, '')));
    expect(missing).toEqual([]);
  });

  it('has a panel for every family of its own (the node view covers what the service exposes)', () => {
    const text = queries(dashboard).join('\n');
    const own = [...families].filter((f) => !/^spdk_conductor_(nodejs|process)_/.test(f));
    expect(own.filter((f) => !text.includes(f))).toEqual([]);
  });
});
