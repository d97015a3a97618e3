#!/usr/bin/env node
/**
 * The command's entry point: `serve` gets its health listeners before the rest of the program is
 * loaded (early-health.ts), then main.ts runs as it would on its own.
 */
import { startEarlyHealth } from './early-health.js';

startEarlyHealth(process.argv.slice(2));
await import('./main.js');
