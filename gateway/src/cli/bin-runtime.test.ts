// The powerstore bin against the runtime checks of shared/src/runtime.ts: an
// older Node.js is refused in one line, and the bin starts itself with the V8
// flags every PoWerStore process runs with.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MIN_NODE_MAJOR, runtimeProblem, V8_FLAGS } from '@powerstore/shared/runtime.js';

const POWERSTORE = fileURLToPath(new URL('./bin.js', import.meta.url));

/** An older node on this machine's PATH (the system one, under the npm-provided 24), if there is one. */
function olderNode(): string | null {
  const found = spawnSync('bash', ['-c', 'which -a node'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const bin of found) {
    try {
      const v = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
      if (runtimeProblem(v)) return bin;
    } catch {
      /* not runnable */
    }
  }
  return null;
}

test('the CLI started with an older node says so in one line and exits 2', () => {
  // Always: this runtime told, before the bin runs, that it is Node 20
  // (process.version set by a preloaded module). Also, where the machine has
  // one, under a real older Node.js, whose failure to load undici 8 is what
  // the bin's early check is for.
  const pretend = `data:text/javascript,Object.defineProperty(process, 'version', { value: 'v20.20.2' })`;
  const runs: Array<readonly [string, readonly string[]]> = [[process.execPath, ['--import', pretend]]];
  const older = olderNode();
  if (older) runs.push([older, []]);
  for (const [bin, flags] of runs) {
    const r = spawnSync(bin, [...flags, POWERSTORE, 'status', '--config', 'nowhere.json'], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${bin}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^error: PoWerStore needs Node.js ${MIN_NODE_MAJOR} or later`));
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('the powerstore bin runs itself with the V8 flags of every PoWerStore process', () => {
  // Its first line is what starts it when called as `powerstore` (the start.sh
  // that init writes, npx): node with V8_FLAGS, which V8 takes only at start.
  const first = readFileSync(POWERSTORE, 'utf8').split('\n')[0]!;
  assert.equal(first, `#!/usr/bin/env -S node ${V8_FLAGS.join(' ')}`);
  // What the kernel runs for that line (tsc leaves the file not executable;
  // npm makes it so where it links the bin): env -S splits the words.
  const [interpreter, ...words] = first.slice(2).split(' ') as [string, ...string[]];
  const r = spawnSync(interpreter, [...words, POWERSTORE, '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\d+\.\d+\.\d+/);
});
