// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

export const DiskKind = {
  DISK_KIND_UNSPECIFIED: 'DISK_KIND_UNSPECIFIED',
  /**
   * a block device or file through Linux AIO
   */
  DISK_KIND_AIO: 'DISK_KIND_AIO',
  /**
   * a PCIe NVMe device by BDF, driven by SPDK
   */
  DISK_KIND_NVME: 'DISK_KIND_NVME',
} as const;

export type DiskKind =
  | 'DISK_KIND_UNSPECIFIED'
  | 0
  /**
   * a block device or file through Linux AIO
   */
  | 'DISK_KIND_AIO'
  | 1
  /**
   * a PCIe NVMe device by BDF, driven by SPDK
   */
  | 'DISK_KIND_NVME'
  | 2

export type DiskKind__Output = typeof DiskKind[keyof typeof DiskKind]
