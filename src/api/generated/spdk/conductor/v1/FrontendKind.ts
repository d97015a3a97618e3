// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

export const FrontendKind = {
  /**
   * refused: the caller must choose
   */
  FRONTEND_KIND_UNSPECIFIED: 'FRONTEND_KIND_UNSPECIFIED',
  /**
   * this node's kernel connects (nvme connect) and gets a block device
   */
  FRONTEND_KIND_NVME_HOST: 'FRONTEND_KIND_NVME_HOST',
  /**
   * only the NVMe-oF target; hosts connect with Frontend.connect_command
   */
  FRONTEND_KIND_EXPORT_ONLY: 'FRONTEND_KIND_EXPORT_ONLY',
} as const;

export type FrontendKind =
  /**
   * refused: the caller must choose
   */
  | 'FRONTEND_KIND_UNSPECIFIED'
  | 0
  /**
   * this node's kernel connects (nvme connect) and gets a block device
   */
  | 'FRONTEND_KIND_NVME_HOST'
  | 1
  /**
   * only the NVMe-oF target; hosts connect with Frontend.connect_command
   */
  | 'FRONTEND_KIND_EXPORT_ONLY'
  | 2

export type FrontendKind__Output = typeof FrontendKind[keyof typeof FrontendKind]
