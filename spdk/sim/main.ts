/**
 * spdk-conductor's spdk_tgt simulator:
 *   node dist/spdk/sim/main.js --socket PATH --name A [--mem-mib N [--no-huge]] [--hugepages-free N]
 *                               [--mem-dump PATH] [--poll-ms N] [--interrupt-mode] [--quiet] [--lifeline [--owned-dir DIR]]
 * It speaks spdk_tgt v26.05's JSON-RPC on the Unix socket until SIGTERM/SIGINT, or with
 * --lifeline until its standard input closes.
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { StartupError, type MemoryMode } from './core/memory/profiles.js';
import { CoreTarget } from './core/target.js';
import { modules } from './modules.js';

const USAGE = `usage: main.js --socket PATH [--name A] [--mem-mib N] [--no-huge] [--hugepages-free N] [--mem-dump PATH] [--poll-ms N] [--interrupt-mode] [--quiet]
  --socket PATH        RPC Unix socket (spdk_tgt -r), default /var/tmp/spdk.sock
  --name NAME          target name in logs, default A
  --mem-mib N          hard DMA budget of N MiB (spdk_tgt -s N --env-context=--legacy-mem);
                       without it the heap starts at 780 MiB and grows from the hugepage pool
  --no-huge            with --mem-mib: one contiguous heap (spdk_tgt --no-huge -s N)
  --hugepages-free N   free 2 MiB hugepages the default (dynamic) heap may still map, default 1024
  --mem-dump PATH      where env_dpdk_get_mem_stats writes, default /tmp/spdk_mem_dump.txt
  --poll-ms N          RPC poll period in ms, default 4 as in spdk_tgt (shorter only to speed up replays)
  --max-subsystems N   NVMe-oF subsystems, the discovery one included (spdk_tgt --wait-for-rpc with
                       nvmf_set_max_subsystems N before framework_start_init); default 1024
  --interrupt-mode     reactors in interrupt mode, as spdk_tgt --interrupt-mode: framework_get_reactors
                       says in_interrupt true, busy and idle 0, usr and sys the simulator's CPU time
  --quiet              no log lines on stderr
  --lifeline           stop when standard input closes: a parent that holds the other end of a
                       pipe takes the simulator with it, even when it is killed with SIGKILL
  --owned-dir DIR      with --lifeline: a directory (the socket's) removed when the lifeline ends it`;

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        socket: { type: 'string', default: '/var/tmp/spdk.sock' },
        name: { type: 'string', default: 'A' },
        'mem-mib': { type: 'string' },
        'no-huge': { type: 'boolean', default: false },
        'hugepages-free': { type: 'string', default: '1024' },
        'mem-dump': { type: 'string', default: '/tmp/spdk_mem_dump.txt' },
        'poll-ms': { type: 'string', default: '4' },
        'max-subsystems': { type: 'string', default: '1024' },
        'interrupt-mode': { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        lifeline: { type: 'boolean', default: false },
        'owned-dir': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const mib = values['mem-mib'] === undefined ? null : Number(values['mem-mib']);
  const hugepagesFree = Number(values['hugepages-free']);
  const pollMs = Number(values['poll-ms']);
  const maxSubsystems = Number(values['max-subsystems']);
  if ((mib !== null && !(mib > 0)) || !(hugepagesFree >= 0) || !(pollMs >= 1) || !(Number.isInteger(maxSubsystems) && maxSubsystems >= 2)) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const mode: MemoryMode = mib === null ? 'dynamic' : values['no-huge'] ? 'no-huge' : 'legacy';
  let target: CoreTarget;
  try {
    target = new CoreTarget({
      name: values.name,
      memory: { mode, mib, hugepagesFree },
      memDumpPath: values['mem-dump'],
      quiet: values.quiet,
      pollMs,
    });
  } catch (err) {
    if (err instanceof StartupError) {
      process.stderr.write(`spdk_tgt simulator failed to start: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  for (const m of modules(target, { maxSubsystems, interruptMode: values['interrupt-mode'] })) target.install(m);
  const stop = () => {
    void target.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (values.lifeline) {
    // The parent never writes; end of file (or an error) means it is gone, however it died.
    const ownedDir = values['owned-dir'];
    const orphaned = () => {
      void target.stop().finally(() => {
        if (ownedDir !== undefined) rmSync(ownedDir, { recursive: true, force: true });
        process.exit(0);
      });
    };
    process.stdin.on('end', orphaned);
    process.stdin.on('error', orphaned);
    process.stdin.resume();
  }
  target.start(values.socket).then(
    () => target.log('started', { socket: values.socket, pid: process.pid, memory: mode }),
    (err: unknown) => {
      process.stderr.write(`cannot listen on ${values.socket}: ${String(err)}\n`);
      process.exit(1);
    },
  );
}

main();
