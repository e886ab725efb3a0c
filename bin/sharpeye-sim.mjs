#!/usr/bin/env node
// sharpeye-sim: GB/T 28181 device simulator (src/sim). Registers tsx's ESM loader in this process, then runs the
// TypeScript entry point, so `npx sharpeye-sim ...` works right after `npm ci` without a build step.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/sim/main.ts', import.meta.url).href);
