/** spdk-conductor disk create|get|list|delete */
import { invoke } from '../../api/client.js';
import type { Disk__Output } from '../../api/generated/spdk/conductor/v1/Disk.js';
import { EXIT } from '../exit-codes.js';
import type { CommandSpec } from './context.js';
import { fields, formatSize, json, parseSize, table } from './format.js';
import { UsageError } from './usage.js';
import { everyPage } from './pages.js';

const KINDS = { aio: 'DISK_KIND_AIO', nvme: 'DISK_KIND_NVME' } as const;

function kindText(kind: string): string {
  return kind.replace(/^DISK_KIND_/, '').toLowerCase();
}

function diskFields(disk: Disk__Output): string {
  return fields([
    ['name', disk.name],
    ['kind', kindText(disk.kind)],
    ['path', disk.path],
    ['bdev', disk.bdevName],
    ['lvstore', `${disk.lvstoreName} (${disk.lvstoreUuid})`],
    ['cluster size', formatSize(disk.clusterSizeBytes)],
    ['block size', disk.blockSize],
    ['total', formatSize(disk.totalBytes)],
    ['free', formatSize(disk.freeBytes)],
    ['allocated', formatSize(disk.allocatedBytes)],
    ['replicas', disk.replicaCount],
    ['adopted', disk.adopted ? 'yes (the lvstore was there before)' : 'no'],
  ]);
}

export const diskCommands: CommandSpec[] = [
  {
    name: 'disk create',
    args: ['NAME'],
    options: ['path', 'kind', 'block-size', 'cluster-size', 'wipe'],
    usage: 'disk create NAME --path DEVICE|FILE|BDF [--kind aio|nvme] [--block-size BYTES] [--cluster-size SIZE] [--wipe]   (--wipe destroys data already on the device)',
    prepare(values, [name]) {
      if (!values.path) throw new UsageError('disk create needs --path (a device or file for aio, a PCIe BDF for nvme)');
      const kindName = values.kind ?? 'aio';
      if (!Object.hasOwn(KINDS, kindName)) throw new UsageError(`--kind ${JSON.stringify(kindName)} is not a disk kind; use aio or nvme`);
      const request = {
        name: name!,
        path: values.path,
        kind: KINDS[kindName as keyof typeof KINDS],
        blockSize: values['block-size'] === undefined ? 0 : parseSize('block-size', values['block-size']),
        clusterSizeBytes: values['cluster-size'] === undefined ? 0 : parseSize('cluster-size', values['cluster-size']),
        wipe: Boolean(values.wipe),
      };
      return async ({ api, call, out, json: asJson }) => {
        const disk = await invoke(api.disks, 'DiskCreate', request, call);
        out(asJson ? json(disk) : diskFields(disk));
        return EXIT.OK;
      };
    },
  },
  {
    name: 'disk get',
    args: ['NAME'],
    options: [],
    usage: 'disk get NAME',
    prepare:
      (_values, [name]) =>
      async ({ api, call, out, json: asJson }) => {
        const disk = await invoke(api.disks, 'DiskGet', { name: name! }, call);
        out(asJson ? json(disk) : diskFields(disk));
        return EXIT.OK;
      },
  },
  {
    name: 'disk list',
    args: [],
    options: [],
    usage: 'disk list',
    prepare:
      () =>
      async ({ api, call, out, json: asJson }) => {
        const disks = await everyPage(
          (pageToken) => invoke(api.disks, 'DiskList', { pageToken }, call),
          (a) => a.disks,
        );
        if (asJson) out(json(disks));
        else
          out(
            table(
              ['NAME', 'KIND', 'PATH', 'SIZE', 'FREE', 'CLUSTER', 'REPLICAS'],
              disks.map((d) => [d.name, kindText(d.kind), d.path, formatSize(d.totalBytes), formatSize(d.freeBytes), formatSize(d.clusterSizeBytes), d.replicaCount]),
            ),
          );
        return EXIT.OK;
      },
  },
  {
    name: 'disk delete',
    args: ['NAME'],
    options: ['wipe', 'force'],
    usage: 'disk delete NAME [--wipe] [--force]   (--wipe also deletes the lvstore and every replica on it; --force: also under members of local engines)',
    prepare:
      (values, [name]) =>
      async ({ api, call, out, json: asJson }) => {
        const response = await invoke(api.disks, 'DiskDelete', { name: name!, wipe: Boolean(values.wipe), force: Boolean(values.force) }, call);
        out(asJson ? json(response) : response.alreadyAbsent ? `disk ${name} already absent: nothing deleted\n` : `deleted disk ${name}${values.wipe ? ' and everything on it' : ''}\n`);
        return EXIT.OK;
      },
  },
];
