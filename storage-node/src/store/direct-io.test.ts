// Direct reads of fragment files (direct-io.ts): any byte range of a file of
// any length, read in aligned chunks into one pooled buffer.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { filesystemTakesDirectIo } from '../testing/direct-capable.js';
import { AlignedPool, DIRECT_ALIGN, DIRECT_CHUNK, directIoWorks, readDirect } from './direct-io.js';

const dir = mkdtempSync(join(tmpdir(), 'ps-direct-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const DIRECT = filesystemTakesDirectIo(dir);

describe('the direct I/O probe', () => {
  it(DIRECT ? 'says yes here, where the filesystem takes direct writes' : 'says no here, where the filesystem refuses direct writes', () => {
    assert.equal(directIoWorks(dir), DIRECT);
  });

  it('leaves no probe file behind', () => {
    directIoWorks(dir);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.direct-io-probe')), []);
  });

  it('says no, without throwing, for a folder it cannot write in', () => {
    assert.equal(directIoWorks(join(dir, 'no-such-folder')), false);
  });
});

describe('the aligned buffer pool', () => {
  it('gives back what it was given, and keeps at most its size', () => {
    const pool = new AlignedPool(1);
    const a = pool.take();
    const b = pool.take();
    assert.notEqual(a, b);
    assert.equal(a.length, DIRECT_CHUNK);
    pool.give(a);
    pool.give(b);
    assert.equal(pool.take(), a);
    assert.notEqual(pool.take(), b, 'the second one was not kept');
  });
});

/** What readDirect yields, copied (each yielded Buffer is reused for the next). */
async function read(path: string, start: number, end: number, pool: AlignedPool): Promise<{ bytes: Buffer; arrays: Set<ArrayBufferLike> }> {
  const parts: Buffer[] = [];
  const arrays = new Set<ArrayBufferLike>();
  for await (const b of readDirect(path, start, end, pool)) {
    assert.ok(b.length > 0, 'no empty chunk');
    arrays.add(b.buffer);
    parts.push(Buffer.from(b));
  }
  return { bytes: Buffer.concat(parts), arrays };
}

describe('direct reads', { skip: !DIRECT && 'no direct I/O on this filesystem' }, () => {
  const len = 2 * DIRECT_CHUNK + 3 * DIRECT_ALIGN + 17;
  const bytes = randomBytes(len);
  const path = join(dir, 'frag');
  writeFileSync(path, bytes);

  it('reads any range exactly, unaligned ends and the file\'s short last block included', async () => {
    const pool = new AlignedPool();
    const ranges: Array<[number, number]> = [
      [0, len], [1, len - 1], [DIRECT_ALIGN - 1, DIRECT_ALIGN + 1], [DIRECT_CHUNK - 5, DIRECT_CHUNK + 5],
      [len - 17, len], [len - 1, len], [5, 6], [0, DIRECT_CHUNK], [DIRECT_CHUNK, 2 * DIRECT_CHUNK],
    ];
    for (const [a, b] of ranges) assert.deepEqual((await read(path, a, b, pool)).bytes, bytes.subarray(a, b), `[${a}, ${b})`);
  });

  it('stops at the end of the file, and reads nothing for an empty range', async () => {
    const pool = new AlignedPool();
    assert.deepEqual((await read(path, len - 10, len + 5 * DIRECT_CHUNK, pool)).bytes, bytes.subarray(len - 10));
    assert.equal((await read(path, 100, 100, pool)).bytes.length, 0);
    assert.equal((await read(path, len + 10, len + 20, pool)).bytes.length, 0);
    assert.equal((await read(path, len, len + 5, pool)).bytes.length, 0, 'from the very end');
  });

  it('reads a whole file through one buffer, and the next read through the same one', async () => {
    const pool = new AlignedPool();
    const first = await read(path, 0, len, pool);
    const second = await read(path, 3, len, pool);
    assert.equal(first.arrays.size, 1, 'one buffer for three chunks');
    assert.equal(second.arrays.size, 1);
    assert.equal([...second.arrays][0], [...first.arrays][0], 'the same buffer, taken again from the pool');
  });
});
