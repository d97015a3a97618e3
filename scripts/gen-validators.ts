/**
 * The build's second step (after tsc): the JSON Schema validators a start would otherwise compile,
 * generated as ajv standalone code beside the modules that use them in dist/ (the SPDK method
 * contracts, the state file's schemas). See src/validation/generated-validators.ts.
 *
 *   node dist/scripts/gen-validators.js     (npm run build runs it)
 */
import { contractValidatorSet, generatedContractsDir } from '../src/spdk/contracts.js';
import { generatedStateDir, stateValidatorSet } from '../src/domain/node/state-schema.js';
import { writeGenerated } from '../src/validation/standalone-build.js';

writeGenerated(generatedContractsDir(), contractValidatorSet());
writeGenerated(generatedStateDir(), stateValidatorSet());
