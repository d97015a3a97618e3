/** The raid module's validation table (spdk/sim/raid/validation.ts) walked on a simulator process. */
import { afterAll, beforeAll, describe } from 'vitest';
import { RAID_VALIDATION } from '../../../spdk/sim/raid/validation.js';
import { SimClient } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';
import { walkTable, type CheckExamples } from '../helpers/validation-walk.js';

const LONG = 'r'.repeat(64);
const examples: CheckExamples = {
  'bdev_raid_create: no empty base bdev name': {
    params: { name: 'r0', raid_level: 'raid1', base_bdevs: ['m0', ''] },
    code: -22,
    message: 'The base bdev name cannot be empty: Invalid argument',
  },
  'bdev_raid_create: name at most 63 characters': {
    params: { name: LONG, raid_level: 'raid1', base_bdevs: ['m0', 'm1'] },
    code: -22,
    message: `Failed to create RAID bdev ${LONG}: Invalid argument`,
  },
};

let sim: RunningSim;
let client: SimClient;

beforeAll(async () => {
  sim = await startSim({ name: 'RV' });
  client = await SimClient.connect(sim.socket);
});

afterAll(async () => {
  client?.close();
  await sim?.stop();
});

describe('raid validation table', () => {
  walkTable(RAID_VALIDATION, () => client, examples);
});
