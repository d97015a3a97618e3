#!/usr/bin/env node
// `npm start` builds only when something the build reads changed since the last successful build:
// a full tsc run takes ~50 s on 2 cores, the check below a few milliseconds. Directories count too
// (their mtime changes when a file is added, removed or renamed), so a deleted source rebuilds.
// The build is npm run build's two steps: tsc, then the validators generated from the schemas
// (rpc-schemas/spdk among them; without them a start compiles the schemas, correct but slower).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.build-stamp');
const INPUTS = ['src', 'spdk', 'scripts', 'rpc-schemas/spdk', 'tsconfig.json', 'package.json', 'package-lock.json'];

function newest(entry) {
  let info;
  try {
    info = statSync(entry);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = info.mtimeMs;
  for (const name of readdirSync(entry)) latest = Math.max(latest, newest(path.join(entry, name)));
  return latest;
}

function stampTime() {
  try {
    return statSync(stamp).mtimeMs;
  } catch {
    return -1;
  }
}

const started = Date.now();
const inputs = Math.max(...INPUTS.map((i) => newest(path.join(root, i))));
if (inputs <= stampTime()) process.exit(0);
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
process.stderr.write('spdk-conductor: sources changed since the last build; building (tsc, generated validators)\n');
for (const args of [[tsc, '-p', path.join(root, 'tsconfig.json')], [path.join(root, 'dist', 'scripts', 'gen-validators.js')]]) {
  const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
// The stamp takes the time the check started: a file saved during the build triggers the next one.
writeFileSync(stamp, '');
utimesSync(stamp, started / 1000, started / 1000);
