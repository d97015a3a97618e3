/**
 * The host side of a volume's NVMe-oF/TCP export. Either the service connects this node's kernel
 * initiator itself ('nvme-host': a /dev/nvmeXnY appears here), or the host connects on its own
 * ('export-only': the service hands back what that host needs, including the budget's
 * ctrl-loss-tmo, which must stay above the replicas' loss timeouts for a lost replica to degrade
 * the volume rather than fail it).
 */
import { checkConnectParams, connectArgs, type ConnectParams, type NvmeCli } from './nvme-cli.js';

export type FrontendParams = ConnectParams;

export interface NvmeHostFrontend {
  kind: 'nvme-host';
  device: string;
  nqn: string;
  address: string;
  port: number;
}

export interface ExportOnlyFrontend {
  kind: 'export-only';
  nqn: string;
  address: string;
  port: number;
  recommendedCtrlLossTmoSec: number;
  /** A ready-to-paste `nvme connect …` line with the same flags the service itself would use. */
  connectCommand: string;
}

export type Frontend = NvmeHostFrontend | ExportOnlyFrontend;

/** Connect parameters for a host that connects itself; nothing runs on this node. */
export function exportOnlyFrontend(params: FrontendParams): ExportOnlyFrontend {
  checkConnectParams(params);
  return {
    kind: 'export-only',
    nqn: params.nqn,
    address: params.address,
    port: params.port,
    recommendedCtrlLossTmoSec: params.ctrlLossTmoSec,
    connectCommand: ['nvme', ...connectArgs(params)].map(shellQuote).join(' '),
  };
}

/** Connects this node's initiator (idempotent) and returns the volume's block device. */
export async function connectFrontend(cli: Pick<NvmeCli, 'connect'>, params: FrontendParams): Promise<NvmeHostFrontend> {
  const { device } = await cli.connect(params);
  return { kind: 'nvme-host', device, nqn: params.nqn, address: params.address, port: params.port };
}

/** Undoes a frontend: disconnects an nvme-host one (idempotent); an export-only one holds nothing here. */
export async function releaseFrontend(cli: Pick<NvmeCli, 'disconnect'>, frontend: Frontend): Promise<void> {
  if (frontend.kind === 'nvme-host') await cli.disconnect(frontend.nqn);
}

/**
 * Validated values hold only shell-safe characters today; quoting anyway keeps the pasted line
 * exactly the argv even if validation ever loosens.
 */
function shellQuote(arg: string): string {
  return /^[A-Za-z0-9._:/=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
