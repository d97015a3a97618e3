/** The keyring module's validation table (spdk/sim/keyring/validation.ts) walked on a simulator process. */
import { afterAll, beforeAll, describe } from 'vitest';
import { KEYRING_VALIDATION } from '../../../spdk/sim/keyring/validation.js';
import { SimClient } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';
import { walkTable } from '../helpers/validation-walk.js';

let sim: RunningSim;
let client: SimClient;

beforeAll(async () => {
  sim = await startSim({ name: 'KV' });
  client = await SimClient.connect(sim.socket);
});

afterAll(async () => {
  client?.close();
  await sim?.stop();
});

describe('keyring validation table', () => {
  walkTable(KEYRING_VALIDATION, () => client, {});
});
