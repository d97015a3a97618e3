/**
 * The layering docs/architecture.md describes, checked on the source: imports point down only,
 * no module imports itself back through others (type-only imports included: a cycle of types is
 * still a knot a reader has to untie), and the simulator stays a separate program.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.split(path.sep).includes('generated'))
    .map((f) => path.join(dir, f));
}

/** Relative imports and re-exports of a file, as repository paths of .ts files. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    out.push(path.normalize(path.join(path.dirname(file), match[1]!.replace(/\.js$/, '.ts'))));
  }
  return out;
}

const SRC = sourceFiles('src');
const GRAPH = new Map(SRC.map((f) => [f, importsOf(f).filter((i) => i.startsWith(`src${path.sep}`))]));

/** The layer of a file: its first folder under src/, or the file itself for the few at the top. */
function layer(file: string): string {
  const parts = file.split(path.sep);
  return parts.length > 2 ? parts[1]! : parts[1]!.replace(/\.ts$/, '');
}

/** Modules every layer may use: they import nothing above themselves. */
const SHARED = new Set(['errors', 'log', 'version', 'config', 'validation', 'diagnostics', 'loop-trace', 'jit-settle', 'threadpool']);

/** Which layers each layer may import besides itself and the shared modules. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  spdk: [],
  host: [],
  /** Backup targets and the backup format: objects in a store, nothing of volumes or SPDK. */
  objectstore: [],
  /** A userspace NVMe/TCP host (initiator): PDUs, queues, a controller; nothing of SPDK's JSON-RPC or volumes. */
  'nvme-tcp': [],
  domain: ['spdk', 'host', 'objectstore', 'nvme-tcp'],
  api: ['domain'],
  peers: ['api', 'domain', 'spdk'],
  /** Runs the built simulator as a child process; it never imports it. */
  'embedded-sim': [],
  service: ['api', 'peers', 'domain', 'spdk', 'host', 'objectstore', 'nvme-tcp', 'embedded-sim'],
  cli: ['service', 'api', 'peers', 'domain', 'spdk', 'host', 'objectstore', 'nvme-tcp'],
};

describe('architecture', () => {
  it('has no import cycle in src/', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'open');
      stack.push(file);
      for (const next of GRAPH.get(file) ?? []) {
        if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' > '));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of SRC) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it('imports point down the layers only', () => {
    const wrong: string[] = [];
    for (const [file, imports] of GRAPH) {
      const from = layer(file);
      const allowed = new Set([from, ...SHARED, ...(MAY_IMPORT[from] ?? [])]);
      // A shared module may use the other shared ones, never a layer.
      if (SHARED.has(from)) for (const l of Object.keys(MAY_IMPORT)) allowed.delete(l);
      for (const target of imports) if (!allowed.has(layer(target))) wrong.push(`${file} imports ${target}`);
    }
    expect(wrong).toEqual([]);
  });

  it('knows the layer of every file in src/', () => {
    const known = new Set([...SHARED, ...Object.keys(MAY_IMPORT)]);
    expect(SRC.map(layer).filter((l) => !known.has(l))).toEqual([]);
  });

  it('keeps the simulator a separate program: neither side imports the other', () => {
    const simFiles = sourceFiles(path.join('spdk', 'sim'));
    const crossing = [
      ...SRC.flatMap((f) =>
        importsOf(f)
          .filter((i) => i.startsWith(`spdk${path.sep}`))
          .map((i) => `${f} imports ${i}`),
      ),
      ...simFiles.flatMap((f) =>
        importsOf(f)
          .filter((i) => i.startsWith(`src${path.sep}`))
          .map((i) => `${f} imports ${i}`),
      ),
    ];
    expect(crossing).toEqual([]);
  });
});
