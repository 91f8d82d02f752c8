/* global process */
// node mutation/tests.mjs PATH... : runs the node:test files named (a
// directory means every *.test.js under it) in ONE process. Stryker runs the
// target's tests once per mutant; `node --test` would start a process per
// file, which on a loaded machine costs more than the tests themselves.
// Exit status is non-zero when any test fails (node:test sets it).
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

function testFiles(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((e) => {
    const p = join(path, e.name);
    if (e.isDirectory()) return testFiles(p);
    return e.name.endsWith('.test.js') ? [p] : [];
  });
}

const files = process.argv.slice(2).flatMap(testFiles).sort();
if (files.length === 0) {
  process.exitCode = 2;
} else {
  for (const f of files) await import(pathToFileURL(resolve(f)).href);
}
