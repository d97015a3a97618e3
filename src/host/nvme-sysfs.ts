/**
 * The kernel's own record of NVMe-oF connections, read from sysfs. This is what NvmeCli trusts to
 * decide "already connected?" and "which /dev/nvmeXnY?": it is what the kernel acts on, it needs no
 * subprocess (so polling it while a device appears is cheap), and it has kept its shape across
 * kernels while nvme-cli's JSON has not.
 *
 *   class/nvme-subsystem/nvme-subsysS/subsysnqn      the subsystem's NQN
 *   class/nvme-subsystem/nvme-subsysS/nvmeC          its controllers (symlinks into class/nvme)
 *   class/nvme/nvmeC/{transport,address,state,hostnqn}
 *   class/nvme-subsystem/nvme-subsysS/nvmeSnN        namespace head (native multipath): /dev/nvmeSnN
 *   class/nvme/nvmeC/nvmeScCnN                       hidden per-path node of that same head
 *   class/nvme/nvmeC/nvmeCnN                         the namespace itself when multipath is off
 *
 * Entries vanish while a controller is being deleted, so every read treats "gone" as "absent".
 */
import fsp from 'node:fs/promises';
import path from 'node:path';

export interface SysfsController {
  /** Kernel name, e.g. `nvme3`. */
  name: string;
  transport: string;
  /** As the kernel prints it: `traddr=10.0.0.5,trsvcid=4420,src_addr=10.0.0.9`. */
  address: string;
  /** new, live, resetting, connecting, deleting, "deleting (no IO)" or dead. */
  state: string;
  hostNqn: string | undefined;
}

export interface SysfsSubsystem {
  /** `nvme-subsys3` */
  name: string;
  nqn: string;
  controllers: SysfsController[];
  /** Block device names (`nvme3n1`), lowest namespace id first. */
  namespaces: string[];
}

/** States in which a controller is on its way out and will never carry I/O again. */
const GONE_STATES = new Set(['deleting', 'deleting (no IO)', 'dead']);

export function isUsable(controller: SysfsController): boolean {
  return !GONE_STATES.has(controller.state);
}

const CONTROLLER = /^nvme\d+$/;
const HEAD = /^nvme(\d+)n(\d+)$/;
const PATH_NODE = /^nvme(\d+)c\d+n(\d+)$/;

async function entries(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch {
    return [];
  }
}

async function attr(dir: string, name: string): Promise<string | undefined> {
  try {
    return (await fsp.readFile(path.join(dir, name), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

export class NvmeSysfs {
  constructor(private readonly root: string) {}

  async subsystems(): Promise<SysfsSubsystem[]> {
    const dir = path.join(this.root, 'class', 'nvme-subsystem');
    const found = await Promise.all((await entries(dir)).map((name) => this.read(path.join(dir, name), name)));
    return found.filter((s): s is SysfsSubsystem => s !== undefined);
  }

  async subsystem(nqn: string): Promise<SysfsSubsystem | undefined> {
    return (await this.subsystems()).find((s) => s.nqn === nqn);
  }

  private async read(dir: string, name: string): Promise<SysfsSubsystem | undefined> {
    const nqn = await attr(dir, 'subsysnqn');
    if (nqn === undefined) return undefined;
    const names = await entries(dir);
    const namespaces = new Map<string, number>();
    const addHead = (subsys: string, nsid: string) => namespaces.set(`nvme${subsys}n${nsid}`, Number(nsid));
    for (const entry of names) {
      const head = HEAD.exec(entry);
      if (head) addHead(head[1]!, head[2]!);
    }
    const controllers: SysfsController[] = [];
    for (const ctrlName of names.filter((n) => CONTROLLER.test(n))) {
      const ctrlDir = path.join(dir, ctrlName);
      const [transport, address, state, hostNqn, children] = await Promise.all([
        attr(ctrlDir, 'transport'),
        attr(ctrlDir, 'address'),
        attr(ctrlDir, 'state'),
        attr(ctrlDir, 'hostnqn'),
        entries(ctrlDir),
      ]);
      if (transport === undefined || state === undefined) continue;
      controllers.push({ name: ctrlName, transport, address: address ?? '', state, hostNqn });
      for (const child of children) {
        const pathNode = PATH_NODE.exec(child);
        if (pathNode) addHead(pathNode[1]!, pathNode[2]!);
        const direct = HEAD.exec(child);
        if (direct) addHead(direct[1]!, direct[2]!);
      }
    }
    const ordered = [...namespaces].sort(([a, x], [b, y]) => x - y || a.localeCompare(b)).map(([ns]) => ns);
    return { name, nqn, controllers, namespaces: ordered };
  }
}

/** `traddr=10.0.0.5,trsvcid=4420` (commas, or spaces as some nvme-cli 1.x printed) as a map. */
export function parseAddress(address: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of address.split(/[,\s]+/)) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return fields;
}

/**
 * The same IP written the same way: the kernel echoes traddr as the connect string had it, so
 * `FD00::1` and `fd00:0::1` must still match.
 */
export function normalizeIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip.toLowerCase();
  }
}
