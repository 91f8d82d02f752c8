#!/usr/bin/env -S node --max-semi-space-size=2
// The `powerstore` bin. It checks the runtime before anything else is loaded:
// an ES module's imports are all evaluated before its own code runs, and under
// an older Node.js one of them (undici 8) throws while loading, so the check
// in runCli would come too late to give its one line.

import { runtimeProblem } from '@powerstore/shared/runtime.js';

const problem = runtimeProblem(process.version);
if (problem) {
  process.stderr.write(`error: ${problem}\n`);
  process.exit(2);
}
await import('./powerstore.js');
