// Direct reads of fragment files (direct-io.ts): any byte range of a file of
// any length, read in aligned chunks into one pooled buffer.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AlignedPool, DIRECT_ALIGN, DIRECT_CHUNK, directIoWorks, readDirect } from './direct-io.js';

const dir = mkdtempSync(join(tmpdir(), 'ps-direct-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** What readDirect yields, copied (each yielded Buffer is reused for the next). */
async function read(path: string, start: number, end: number, pool: AlignedPool): Promise<{ bytes: Buffer; arrays: Set<ArrayBufferLike> }> {
  const parts: Buffer[] = [];
  const arrays = new Set<ArrayBufferLike>();
  for await (const b of readDirect(path, start, end, pool)) {
    arrays.add(b.buffer);
    parts.push(Buffer.from(b));
  }
  return { bytes: Buffer.concat(parts), arrays };
}

describe('direct reads', { skip: !directIoWorks(dir) && 'no direct I/O here' }, () => {
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
  });

  it('reads a whole file through one buffer, and the next read through the same one', async () => {
    const pool = new AlignedPool();
    const first = await read(path, 0, len, pool);
    const second = await read(path, 3, len, pool);
    assert.equal(first.arrays.size, 1, 'one buffer for three chunks');
    assert.deepEqual([...second.arrays], [...first.arrays], 'taken again from the pool');
  });
});
