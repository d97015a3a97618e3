/**
 * What one bdev_nvme_attach_controller over TCP allocates from spdk_tgt v26.05's DMA heap, step by
 * step in SPDK's order: the allocations the controller keeps, and the short-lived buffers taken
 * and freed between them. The short-lived ones matter because they decide where the kept ones
 * land: each attach leaves two free gaps (0xec0 and 0x740) in a 64 KiB stretch of heap, so the
 * heap runs out by fragmentation. Transcript 14, phase 2: 56 controllers fitted in an 852 MiB
 * --no-huge heap, the next attach failed with "Failed to allocate send_pdus" (-19), and fitted
 * again once one controller was detached; replayed from the recorded layout this sequence gives
 * the same 56, and the same repeating layout the dumps show.
 *
 * Counts, order and alignments come from SPDK's source (lib/nvme, module/bdev/nvme); the struct
 * sizes are the dumps' element lengths less DPDK's 128-byte element header.
 */

export interface DmaAllocation {
  /** What SPDK allocates, as its source names it. */
  readonly what: string;
  readonly bytes: number;
  readonly align: number;
}

/** Take `take` and keep it for the controller's life, or until `release` of the same `buffer`. */
export type AttachStep = { readonly take: DmaAllocation; readonly buffer?: string } | { readonly release: string };

/** spdk_nvme_ctrlr_get_default_ctrlr_opts: admin_queue_size (DEFAULT_ADMIN_QUEUE_SIZE). */
const ADMIN_QUEUE_SIZE = 32;
/** sizeof(struct nvme_request) rounded up to 64 (nvme_qpair_init's req_size_padded): element 0x29c0 = 33 x 320 + 0x80. */
const NVME_REQUEST_PADDED = 320;
/** sizeof(struct nvme_tcp_pdu): element 0x8cc0 = 33 x 1088 + 0x80. */
const NVME_TCP_PDU = 1088;
const PAGE = 0x1000;

/**
 * nvme_allocate_request_user_copy: every identify (and other admin command with a payload) copies
 * through a page-aligned DMA buffer of the payload's size, freed when the command completes.
 */
const identify = (of: string): AttachStep[] => [{ take: { what: `identify ${of} bounce buffer`, bytes: 4096, align: PAGE }, buffer: 'bounce' }, { release: 'bounce' }];

export const ATTACH_STEPS: readonly AttachStep[] = [
  // nvme_tcp_ctrlr_construct creates the admin qpair; either allocation failing fails the
  // construct, the probe finds no controller and the RPC answers -19 (recorded).
  // nvme_qpair_init: one request per queue entry plus the reserved one (SPDK_MALLOC_SHARE).
  { take: { what: 'admin qpair req_buf', bytes: (ADMIN_QUEUE_SIZE + 1) * NVME_REQUEST_PADDED, align: 64 } },
  // nvme_tcp_alloc_reqs: num_entries (queue size - 1) + the qpair's own send and recv PDUs (SPDK_MALLOC_DMA).
  { take: { what: 'admin qpair send_pdus', bytes: (ADMIN_QUEUE_SIZE - 1 + 2) * NVME_TCP_PDU, align: PAGE } },
  // nvme_ctrlr_add_process: sizeof(struct spdk_nvme_ctrlr_process), element 0x140.
  { take: { what: 'ctrlr_proc', bytes: 192, align: 64 } },
  // nvme_fabric_qpair_connect_async: struct spdk_nvmf_fabric_connect_data, freed once connected.
  { take: { what: 'fabric connect data', bytes: 1024, align: 64 }, buffer: 'connect' },
  { release: 'connect' },
  ...identify('controller'),
  // nvme_ctrlr_identify_active_ns_async: the new active namespace list (page aligned) lives
  // until the namespaces it names exist (spdk_nvme_ctrlr_get_ns: sizeof(struct spdk_nvme_ns),
  // which embeds nsdata and id_desc_list, element 0x2100).
  { take: { what: 'active ns list', bytes: 4096, align: PAGE }, buffer: 'ns_list' },
  ...identify('active ns list'),
  { take: { what: 'spdk_nvme_ns', bytes: 8320, align: 64 } },
  { release: 'ns_list' },
  ...identify('namespace'),
  ...identify('ns id descriptors'),
  // nvme_ctrlr_identify_ns_nvm_specific_async: sizeof(struct spdk_nvme_nvm_ns_data), element 0x1080.
  { take: { what: 'nsdata_nvm', bytes: 4096, align: 64 } },
  ...identify('ns NVM command set'),
  // One more one-cache-line element per attach in every dump (0xc0), taken after nsdata_nvm
  // (it sits below it); the source does not name its owner with certainty.
  { take: { what: 'ctrlr 64-byte element', bytes: 64, align: 64 } },
];
