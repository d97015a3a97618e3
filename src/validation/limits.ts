/**
 * How long each string a caller sends may be, and how many of a thing one request may list, in
 * one place. The edge checks every string and list of every request against these before any
 * other work (src/api/validate.ts), so a hostile size costs a comparison, not a lock, a spdk_tgt
 * call or a message the size of the input.
 */

/** Per kind of name; see names.ts for why they differ (the names SPDK objects get from them). */
export const NAME_MAX = { disk: 32, replica: 48, snapshot: 48, volume: 48 } as const;

/** NVMe Base Specification: an NQN is at most 223 bytes of UTF-8. */
export const NQN_MAX_BYTES = 223;

/** Linux's PATH_MAX less its NUL. */
export const PATH_MAX_BYTES = 4095;

/** RFC 1035: a host name is at most 253 characters. */
export const HOST_NAME_MAX = 253;

export const LABEL_KEY_MAX = 63;
export const LABEL_VALUE_MAX = 255;
export const LABELS_MAX = 32;

/** Far above any real ACL; keeps one request from making a subsystem spdk_tgt cannot list. */
export const HOST_NQNS_MAX = 256;

/**
 * Any string field of any request, whatever it is: the longest one a request legitimately carries
 * is a path. Specific rules (above) are tighter; this bound also covers fields added later.
 */
export const STRING_MAX_BYTES = PATH_MAX_BYTES + 1;

/** Any repeated or map field of any request (host lists are the longest). */
export const LIST_MAX = HOST_NQNS_MAX;

/**
 * The largest request the gRPC server accepts, in bytes. The largest legitimate one (an engine
 * with 32 replicas and 256 host NQNs) is far below 100 KiB; grpc-js's default of 4 MiB lets one
 * caller make the service decode, check and log megabytes per call.
 */
export const REQUEST_MAX_BYTES = 1024 * 1024;

/** How much of a caller's value an error message quotes. */
export const QUOTE_MAX = 64;
