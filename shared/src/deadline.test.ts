import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { withDeadline } from './deadline.js';

test('aborts with the parent, with the parent\'s reason', () => {
  const parent = new AbortController();
  const d = withDeadline(parent.signal, 10_000);
  assert.equal(d.signal.aborted, false);
  parent.abort(new Error('caller gone'));
  assert.equal(d.signal.aborted, true);
  assert.equal((d.signal.reason as Error).message, 'caller gone');
  d.release();
});

test('a parent aborted already gives an aborted signal', () => {
  const parent = new AbortController();
  parent.abort('before');
  const d = withDeadline(parent.signal, 10_000);
  assert.equal(d.signal.aborted, true);
  assert.equal(d.signal.reason, 'before');
});

test('aborts at the deadline with a TimeoutError, as AbortSignal.timeout does, and leaves the parent', async () => {
  const parent = new AbortController();
  const d = withDeadline(parent.signal, 20);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(d.signal.aborted, true);
  assert.equal((d.signal.reason as DOMException).name, 'TimeoutError');
  assert.equal(getEventListeners(parent.signal, 'abort').length, 0);
});

test('released: no listener left on the parent, and the deadline never fires', async () => {
  const parent = new AbortController();
  const d = withDeadline(parent.signal, 20);
  assert.equal(getEventListeners(parent.signal, 'abort').length, 1);
  d.release();
  assert.equal(getEventListeners(parent.signal, 'abort').length, 0);
  await new Promise((r) => setTimeout(r, 60));
  parent.abort();
  assert.equal(d.signal.aborted, false);
});

test('a pending deadline does not keep the process alive, as AbortSignal.timeout\'s does not', () => {
  // Work left behind on purpose (a heal a Byzantine node never reads) holds
  // a deadline of minutes; the process must still end when nothing else is
  // left to do (it kept a test file alive for ten minutes).
  const url = new URL('./deadline.js', import.meta.url).href;
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e',
    `import { withDeadline } from ${JSON.stringify(url)}; withDeadline(new AbortController().signal, 60_000);`],
  { timeout: 20_000, encoding: 'utf8' });
  assert.equal(r.signal, null, `the child still ran after ${Date.now() - started} ms`);
  assert.equal(r.status, 0, r.stderr);
});
