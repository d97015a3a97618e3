/**
 * A real spdk_tgt with the service (`serve`, the built CLI) on it as its own process, a disk `d`
 * over a file in a temp directory, and a raw JSON-RPC client to spdk_tgt: what the kill -9 tests
 * of the service stand on. `kill9` ends the service as a crash would; `serve` starts it again on
 * the same state directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { invoke } from '../../../src/api/client.js';
import { startService, type Exit, type ServiceRun } from '../../crash/helpers/service.js';
import { portBlock } from '../../helpers/ports.js';
import { SimClient } from '../../sim/helpers/sim-client.js';
import { RealTarget } from './real-node.js';

export class RealServe {
  run: ServiceRun | undefined;
  private readonly port = portBlock();

  private constructor(
    readonly dir: string,
    readonly target: RealTarget,
    readonly rpc: SimClient,
    private readonly env: Record<string, string>,
  ) {}

  /** spdk_tgt, the service with `env`, and disk `d` over a file of `diskBytes`. */
  static async start(name: string, diskBytes: number, env: Record<string, string>): Promise<RealServe> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `conductor-real-${name}-`));
    const target = new RealTarget(name, path.join(dir, 'spdk.sock'));
    await target.start();
    const fixture = new RealServe(dir, target, await SimClient.connect(target.socket), env);
    const run = await fixture.serve();
    const disk = path.join(dir, 'd.img');
    fs.writeFileSync(disk, '');
    fs.truncateSync(disk, diskBytes);
    await invoke(run.clients.disks, 'DiskCreate', { name: 'd', path: disk });
    return fixture;
  }

  /** The service started (again) on the same state directory. */
  async serve(): Promise<ServiceRun> {
    this.run = await startService({ spdkSocket: this.target.socket, dir: this.dir, portMin: this.port, portMax: this.port + 99, env: this.env }, { deadlineMs: 120_000 });
    return this.run;
  }

  /** kill -9 of the service; its exit, for the caller to check. */
  async kill9(): Promise<Exit> {
    const run = this.run!;
    this.run = undefined;
    run.clients.close();
    run.proc.kill('SIGKILL');
    return run.waitExit(30_000);
  }

  async close(): Promise<void> {
    this.run?.clients.close();
    this.run?.proc.kill('SIGKILL');
    await this.run?.exited;
    this.rpc.close();
    await this.target.kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
