// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto


/**
 * A target: kind "fs" (path) or "s3" (the rest). Credentials only by the files or environment
 * variables that hold them; the service never stores, logs or answers a key.
 */
export interface BackupTarget {
  'kind'?: (string);
  'path'?: (string);
  'endpoint'?: (string);
  'region'?: (string);
  'bucket'?: (string);
  'prefix'?: (string);
  'forcePathStyle'?: (boolean);
  'caFile'?: (string);
  'accessKeyIdFile'?: (string);
  'secretAccessKeyFile'?: (string);
  'accessKeyIdEnv'?: (string);
  'secretAccessKeyEnv'?: (string);
}

/**
 * A target: kind "fs" (path) or "s3" (the rest). Credentials only by the files or environment
 * variables that hold them; the service never stores, logs or answers a key.
 */
export interface BackupTarget__Output {
  'kind': (string);
  'path': (string);
  'endpoint': (string);
  'region': (string);
  'bucket': (string);
  'prefix': (string);
  'forcePathStyle': (boolean);
  'caFile': (string);
  'accessKeyIdFile': (string);
  'secretAccessKeyFile': (string);
  'accessKeyIdEnv': (string);
  'secretAccessKeyEnv': (string);
}
