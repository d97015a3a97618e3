/**
 * The built CLI against a node fixture's API socket with `--json`: its exit code, its parsed
 * answer (or the raw stdout when it is not JSON) and its stderr; never throws for a failed command.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const CLI = path.resolve(fileURLToPath(import.meta.url), '../../../../dist/src/cli/main.js');

export interface CliJsonResult {
  exitCode: number;
  json: Record<string, unknown>;
  stderr: string;
}

export async function cliJson(nodeDir: string, ...args: string[]): Promise<CliJsonResult> {
  const result = await execa('node', [CLI, '--api-socket', path.join(nodeDir, 'api.sock'), ...args, '--json'], { reject: false, timeout: 240_000 });
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    json = { stdout: result.stdout };
  }
  return { exitCode: result.exitCode ?? -1, json, stderr: String(result.stderr) };
}
