#!/usr/bin/env node
/**
 * The command's entry point: `serve` gets its health listeners before the rest of the program is
 * loaded (early-health.ts), then main.ts runs as it would on its own. Everything is imported
 * dynamically, after the compile cache is on (Node ≥ 22.1, as in the image; NODE_COMPILE_CACHE or
 * the temp directory): a later start compiles none of the modules an earlier one compiled. Node 20
 * has no cache and compiles as before. A cache it cannot write only costs the speed it brings.
 */
import module from 'node:module';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { startEarlyHealth, startEarlyLogger } = await import('./early-health.js');
startEarlyHealth(process.argv.slice(2));
await startEarlyLogger();
await import('./main.js');
