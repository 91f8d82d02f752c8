#!/usr/bin/env -S node --max-semi-space-size=2
// The `powerstore` bin. It checks the runtime before anything else is loaded:
// an ES module's imports are all evaluated before its own code runs, and under
// an older Node.js one of them (undici 8) throws while loading, so the check
// in runCli would come too late to give its one line.

import { blake3Problem } from '@powerstore/shared/erasure/blake3-packages.js';
import { GATEWAY_V8_FLAGS, relaunchArgv, runtimeProblem } from '@powerstore/shared/runtime.js';

// The runtime, then the one native binary that npm may leave out (an optional dependency).
const problem = runtimeProblem(process.version) ?? blake3Problem();
if (problem) {
  process.stderr.write(`error: ${problem}\n`);
  process.exit(2);
}
// A gateway runs with V8 flags of its own (runtime.ts), which this file's
// first line cannot choose by command: it starts itself again with them
// (where there is no execve, as on Windows, it runs with the first line's).
if (process.argv[2] === 'gateway' && process.execve) {
  const again = relaunchArgv(process.execPath, process.execArgv, process.argv, GATEWAY_V8_FLAGS);
  if (again) process.execve(process.execPath, again, process.env);
}
await import('./powerstore.js');
