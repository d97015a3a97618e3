/** How the simulator names itself in spdk_get_version's extra `simulator` key. */
export const SIMULATOR_NAME = 'spdk-conductor-sim';
export const SIMULATOR_VERSION = '0.1.0';
