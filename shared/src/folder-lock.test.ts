import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.js';
import { lockFolder } from './folder-lock.js';

const LOCK_MODULE = fileURLToPath(new URL('./folder-lock.js', import.meta.url));

test('a locked folder refuses a second holder, naming the first; released, it can be taken again', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = lockFolder(dir, 'storage node');
  assert.throws(() => lockFolder(dir, 'storage node'),
    (e: unknown) => e instanceof ConfigError && e.message.includes(`in use by another storage node (pid ${process.pid})`));
  first.release();
  lockFolder(dir, 'storage node').release();
});

test('another process cannot take a held lock, and the lock goes when its holder is killed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--input-type=module', '-e',
    `const { lockFolder } = await import(${JSON.stringify(LOCK_MODULE)}); lockFolder(${JSON.stringify(dir)}, 'x'); console.log('locked'); setInterval(() => {}, 1000);`],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  assert.throws(() => lockFolder(dir, 'storage node'), new RegExp(`pid ${child.pid}`));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  lockFolder(dir, 'storage node').release(); // no stale lock after a crash
});

test('a lock whose handle the holder dropped survives garbage collection (a node keeps its store locked for its life)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The holder drops the handle, as a node's main does, then collects garbage twice.
  const child = spawn(process.execPath, ['--expose-gc', '--input-type=module', '-e',
    `const { lockFolder } = await import(${JSON.stringify(LOCK_MODULE)}); lockFolder(${JSON.stringify(dir)}, 'x');
     await new Promise((r) => setTimeout(r, 50)); gc(); await new Promise((r) => setTimeout(r, 50)); gc();
     console.log('collected'); setInterval(() => {}, 1000);`],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  assert.throws(() => lockFolder(dir, 'storage node'), new RegExp(`pid ${child.pid}`));
});
