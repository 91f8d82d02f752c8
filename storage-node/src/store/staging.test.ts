// Staging an incoming fragment (staging.ts): inline below the limit, a
// staging file above it written in batches, every byte in order. The batching
// is counted in calls to the file handle's write and writev on files in this
// test's folder: a count, not a time, so a busy machine (or tests running
// beside it in the same process) cannot fail it.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { constants, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NodeRequestError } from '../node-context.js';
import { filesystemTakesDirectIo } from '../testing/direct-capable.js';
import { AlignedPool, directIoWorks } from './direct-io.js';
import { Staging, WRITE_BATCH } from './staging.js';

/** Counts write and writev calls on file handles open on files under `dir` while `fn` runs. */
async function countingWrites(dir: string, fn: () => Promise<void>): Promise<number> {
  const probe = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as Pick<FileHandle, 'write' | 'writev'>;
  await probe.close();
  const { write, writev } = proto;
  let calls = 0;
  const count = (h: FileHandle): void => {
    if (readlinkSync(`/proc/self/fd/${h.fd}`).startsWith(dir)) calls++;
  };
  proto.write = function (this: FileHandle, ...args: unknown[]) {
    count(this);
    return (write as (...a: unknown[]) => unknown).apply(this, args);
  } as FileHandle['write'];
  proto.writev = function (this: FileHandle, ...args: unknown[]) {
    count(this);
    return (writev as (...a: unknown[]) => unknown).apply(this, args);
  } as FileHandle['writev'];
  try {
    await fn();
  } finally {
    proto.write = write;
    proto.writev = writev;
  }
  return calls;
}

const tmp = mkdtempSync(join(tmpdir(), 'ps-staging-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
// The direct suite runs where the filesystem takes direct writes; there the node's probe must agree.
const DIRECT = filesystemTakesDirectIo(tmp);

for (const mode of ['page cache', 'O_DIRECT'] as const) describe(`staging a fragment (${mode})`, { skip: mode === 'O_DIRECT' && !DIRECT && 'no direct I/O here' }, () => {
  const dir = mkdtempSync(join(tmp, mode === 'O_DIRECT' ? 'direct-' : 'cached-'));
  const pool = mode === 'O_DIRECT' ? new AlignedPool() : undefined;
  if (pool) assert.ok(directIoWorks(tmp), 'the probe agrees that this filesystem takes direct writes');
  let n = 0;
  const staging = (inlineMax = 64 * 1024, maxFragmentBytes = 64 << 20): Staging =>
    new Staging({ inlineMax, maxFragmentBytes, newPath: () => join(dir, `s${n++}.tmp`), direct: pool });

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

  it('writes a fragment that came in 16 KiB chunks with a write a megabyte, not one a chunk, as it comes', async () => {
    const s = staging();
    const bytes = randomBytes(2 * WRITE_BATCH);
    const calls = await countingWrites(dir, async () => {
      await feed(s, bytes, 16 * 1024);
      assert.equal(s.inline, null, 'past inlineMax: not inline');
    });
    assert.equal(calls, 2, 'two writes for two megabytes, both before the end (a write a chunk made 124)');
    assert.equal(await countingWrites(dir, () => s.seal()), 0, 'nothing left for seal to write');
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

  it('copies each chunk as it comes (past inlineMax): it holds none of the network chunks, and the caller may use its buffer again at once', async () => {
    // The caller's buffer is used again for every chunk; a chunk held until its batch is full would be written over.
    const s = staging(10);
    const bytes = randomBytes(2 * WRITE_BATCH + 5000);
    const chunk = Buffer.alloc(65536);
    for (let off = 0; off < bytes.length; off += chunk.length) {
      const n = bytes.copy(chunk, 0, off, off + chunk.length);
      await s.write(chunk.subarray(0, n));
    }
    await s.seal();
    assert.ok(readFileSync(s.path!).equals(bytes), 'the file holds every chunk as it was given');
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
    await assert.rejects(s.write(Buffer.alloc(1)), (e: unknown) => e instanceof NodeRequestError && e.status === 413 && e.code === 'fragment-too-large');
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
  it('writes fragments of every length up to and past a batch exactly, the last block cut to size', async () => {
    for (const len of [1001, 4095, 4096, 4097, 65_536 + 3, WRITE_BATCH - 1, WRITE_BATCH, WRITE_BATCH + 1, 2 * WRITE_BATCH + 4097]) {
      const s = staging(1000);
      const bytes = randomBytes(len);
      await feed(s, bytes, 24_567);
      await s.seal();
      assert.deepEqual(readFileSync(s.path!), bytes, `${len} bytes`);
    }
  });

  it(mode === 'O_DIRECT' ? 'writes the file with O_DIRECT' : 'writes the file through the page cache', async () => {
    const s = staging(10);
    await feed(s, randomBytes(WRITE_BATCH + 1), 65536);
    const fd = readdirSync('/proc/self/fd').find((f) => { try { return readlinkSync(`/proc/self/fd/${f}`) === s.path; } catch { return false; } });
    assert.ok(fd, 'the staging file is open');
    const flags = Number.parseInt(/flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
    assert.equal((flags & constants.O_DIRECT) !== 0, mode === 'O_DIRECT');
    await s.discard();
  });
  if (pool) {
    it('writes through a pooled buffer and gives it back', async () => {
      const b = pool.take();
      pool.give(b);
      const s = staging(10);
      await feed(s, randomBytes(WRITE_BATCH + 5000), 65536);
      await s.seal();
      assert.equal(pool.take(), b, 'the buffer came back to the pool');
      pool.give(b);
    });
  }
});
