/**
 * The state file's directory checked at start: a file is created there and removed again, so that
 * a path in an unwritable place stops the service with a configuration error before anything is
 * opened, instead of failing the first operation that records something.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';

/** `source` says where the path came from (a file, an environment variable, a flag, or the default). */
export function checkStateFileWritable(file: string, source: string): void {
  const dir = path.dirname(path.resolve(file));
  const refuse = (why: string): never => {
    throw new ConfigError('state.file', `${source}: ${JSON.stringify(file)}: ${why}; expected a file path in a directory this service can write`);
  };
  const probe = path.join(dir, `.write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    makeDirectories(dir);
    fs.writeFileSync(probe, '', { flag: 'wx', mode: 0o600 });
  } catch (err) {
    refuse(`cannot create a file in ${dir} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  fs.rmSync(probe, { force: true });
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch {
    // Absent: the first write creates it.
  }
  if (stat && !stat.isFile()) refuse('exists and is not a regular file');
}

/**
 * mkdir -p, one level at a time. The state file creates its directory too; doing it here only
 * moves a failure to start. Not fs.mkdirSync's recursive mode: on Node 20 it spins forever where
 * mkdir answers ENOENT for a parent that exists (under /proc), which hung serve at start.
 */
export function makeDirectories(dir: string): void {
  const missing: string[] = [];
  let at = dir;
  while (!fs.existsSync(at) && path.dirname(at) !== at) {
    missing.unshift(at);
    at = path.dirname(at);
  }
  for (const d of missing) fs.mkdirSync(d);
}
