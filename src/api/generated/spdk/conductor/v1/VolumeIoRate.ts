// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface VolumeIoRate {
  'engine'?: (string);
  'readOpsPerSec'?: (number | string);
  'writeOpsPerSec'?: (number | string);
  'readBytesPerSec'?: (number | string);
  'writeBytesPerSec'?: (number | string);
}

export interface VolumeIoRate__Output {
  'engine': (string);
  'readOpsPerSec': (number);
  'writeOpsPerSec': (number);
  'readBytesPerSec': (number);
  'writeBytesPerSec': (number);
}
