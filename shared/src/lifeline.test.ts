import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { alive, goneWithin } from './testing/processes.js';

const LIFELINE_MODULE = fileURLToPath(new URL('./lifeline.js', import.meta.url));

/**
 * Starts a stand-in launcher that spawns a child calling stopWithLauncher;
 * `childStdin` is what the child gets as stdin. Resolves with the launcher
 * and the child's pid once the child is up.
 */
async function launcherWithChild(childStdin: 'pipe' | { fifo: string }): Promise<{ launcher: ReturnType<typeof spawn>; childPid: number }> {
  const child = `const { stopWithLauncher } = await import(${JSON.stringify(LIFELINE_MODULE)});
    stopWithLauncher(() => process.exit(0)); setInterval(() => {}, 1000); console.log('up');`;
  const launcher = spawn(process.execPath, ['-e', `
    const c = require('node:child_process').spawn(process.execPath, ['--input-type=module', '-e', ${JSON.stringify(child)}],
      { stdio: [${childStdin === 'pipe' ? "'pipe'" : `require('node:fs').openSync(${JSON.stringify(childStdin.fifo)}, 'r+')`}, 'pipe', 'inherit'], env: { ...process.env, POWERSTORE_LIFELINE: '1' }, detached: true });
    c.stdout.once('data', () => console.log(String(c.pid)));
    setInterval(() => {}, 1000);`], { stdio: ['pipe', 'pipe', 'inherit'] });
  const childPid = await new Promise<number>((resolve) => launcher.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  return { launcher, childPid };
}

test('a child stops when its launcher is killed: the pipe on its stdin ends', async (t) => {
  const { launcher, childPid } = await launcherWithChild('pipe');
  t.after(() => alive(childPid) && process.kill(childPid, 'SIGKILL'));
  assert.ok(alive(childPid));
  launcher.kill('SIGKILL');
  assert.ok(await goneWithin(childPid, 5000), 'the child outlived its launcher');
});

test('a child stops when its launcher is killed even if its stdin stays open elsewhere: its parent changed', async (t) => {
  // The child's stdin is a FIFO this test also holds open for writing: no end comes when the launcher goes.
  const dir = mkdtempSync(join(tmpdir(), 'ps-lifeline-'));
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const writer = openSync(fifo, 'r+');
  const { launcher, childPid } = await launcherWithChild({ fifo });
  t.after(() => {
    if (alive(childPid)) process.kill(childPid, 'SIGKILL');
    closeSync(writer);
    rmSync(dir, { recursive: true, force: true });
  });
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(alive(childPid), 'a child whose launcher lives keeps running');
  launcher.kill('SIGKILL');
  assert.ok(await goneWithin(childPid, 5000), 'the child outlived its launcher');
});
