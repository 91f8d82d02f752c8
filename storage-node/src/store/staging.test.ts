// Staging an incoming fragment (staging.ts): inline below the limit, a
// staging file above it written in batches, every byte in order. The batching
// is counted in write system calls (/proc/self/io): a count, not a time, so
// a busy machine cannot fail it.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NodeRequestError } from '../node-context.js';
import { Staging, WRITE_BATCH } from './staging.js';

/** Write-family system calls (write, writev, pwrite) this process has made so far, on every thread. */
function writeCalls(): number {
  const m = /^syscw: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return Number(m![1]);
}

describe('staging a fragment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-staging-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const staging = (inlineMax = 64 * 1024, maxFragmentBytes = 64 << 20): Staging =>
    new Staging({ inlineMax, maxFragmentBytes, newPath: () => join(dir, `s${n++}.tmp`) });

  async function feed(s: Staging, bytes: Buffer, chunk: number): Promise<void> {
    for (let off = 0; off < bytes.length; off += chunk) await s.write(bytes.subarray(off, off + chunk));
  }

  it('keeps a fragment up to inlineMax in memory, with no file', async () => {
    const s = staging();
    const bytes = randomBytes(64 * 1024);
    await feed(s, bytes, 5000);
    assert.deepEqual(s.inline, bytes);
    await s.seal();
    assert.equal(s.path, null);
  });

  it('writes a fragment that came in 16 KiB chunks with a write call per megabyte, not one a chunk', async () => {
    const s = staging();
    const bytes = randomBytes(2 * WRITE_BATCH);
    const chunks = bytes.length / (16 * 1024);
    const before = writeCalls();
    await feed(s, bytes, 16 * 1024);
    assert.equal(s.inline, null, 'past inlineMax: not inline');
    await s.seal();
    const calls = writeCalls() - before;
    // A writev a batch, each with a completion signal from the thread pool (an eventfd write), and
    // the test runner's own reports, which land in between. A write a chunk made 2 calls a chunk.
    assert.ok(calls < chunks / 2, `staging ${chunks} chunks made ${calls} write calls`);
    assert.deepEqual(readFileSync(s.path!), bytes);
  });

  it('writes a fragment of several batches whole and in order', async () => {
    const s = staging();
    const bytes = randomBytes(3 * WRITE_BATCH + 12345);
    await feed(s, bytes, 100_000);
    await s.seal();
    await s.seal(); // a second seal changes nothing
    assert.deepEqual(readFileSync(s.path!), bytes);
  });

  it('has a file only after seal when the fragment is between inlineMax and a batch', async () => {
    const s = staging(1000);
    const bytes = randomBytes(1001);
    await feed(s, bytes, 300);
    assert.equal(s.inline, null);
    await s.seal();
    assert.deepEqual(readFileSync(s.path!), bytes);
  });

  it('refuses a fragment past maxFragmentBytes with a 413', async () => {
    const s = staging(10, 1000);
    await s.write(Buffer.alloc(1000));
    await assert.rejects(s.write(Buffer.alloc(1)), (e: unknown) => e instanceof NodeRequestError && e.status === 413);
    await s.discard();
  });

  it('removes its file on discard', async () => {
    const s = staging(10);
    await feed(s, randomBytes(WRITE_BATCH + 1), 65536);
    const path = s.path!;
    assert.ok(existsSync(path));
    await s.discard();
    assert.equal(existsSync(path), false);
    assert.equal(s.path, null);
  });
});
