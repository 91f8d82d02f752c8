// Segment files (segments.ts) and what the store does with them
// (disk-store.ts): appends at aligned, distinct offsets that read back as
// written, a full segment making way for the next, a new start never
// appending to an old segment; compaction of a segment at most half live
// (its fragments move, reads follow, and it goes), a store naming a moved
// fragment recording where it is now, and the start-up sweep of segments no
// row names.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { HistRecord } from '@powerstore/shared/protocol/server.js';
import { alignedBuffer, DIRECT_ALIGN, directIoWorks } from '../direct-io.js';
import { DiskStore } from '../disk-store.js';
import { GarbageCollector } from '../../gc/gc.js';
import { createLogger } from '@powerstore/shared/log.js';
import { PinTable } from '@powerstore/shared/protocol/pins.js';
import { until } from '@powerstore/shared/testing/until.js';
import { parseLocation, Segments, SEGS } from './segments.js';

const params = clusterParams(1);
const keys = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ps-segs-'));
  dirs.push(d);
  return d;
}

async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  await h.sync();
  await h.close();
}

/** `len` bytes (a multiple of the alignment) in aligned memory, random. */
function aligned(len: number): Buffer {
  const b = alignedBuffer(len);
  randomBytes(len).copy(b);
  return b;
}

/** `len` bytes of file `path` from `offset`. */
function readAt(path: string, offset: number, len: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(len);
    return b.subarray(0, readSync(fd, b, 0, len, offset));
  } finally {
    closeSync(fd);
  }
}

describe('segment files', () => {
  const ways = [false, ...(directIoWorks(tmpdir()) ? [true] : [])];
  for (const direct of ways) {
    it(`appends land at aligned offsets, apart, and read back as written; a full segment makes way for the next (${direct ? 'O_DIRECT' : 'page cache'})`, async () => {
      const dir = tempDir();
      mkdirSync(join(dir, SEGS));
      const segs = new Segments(dir, direct, syncDir, { segmentBytes: 16 * 1024 });
      const chunks = Array.from({ length: 9 }, (_, i) => aligned(DIRECT_ALIGN * (1 + (i % 3))));
      const locs = await Promise.all(chunks.map((c) => segs.append(c)));
      const bySeg = new Map<string, Array<{ offset: number; len: number }>>();
      locs.forEach((loc, i) => {
        const at = parseLocation(loc);
        assert.ok(at, loc);
        assert.equal(at.offset % DIRECT_ALIGN, 0);
        assert.ok(readAt(join(dir, at.seg), at.offset, chunks[i]!.length).equals(chunks[i]!), `append ${i} reads back`);
        bySeg.set(at.seg, [...(bySeg.get(at.seg) ?? []), { offset: at.offset, len: chunks[i]!.length }]);
      });
      assert.ok(bySeg.size >= 3, `72 KiB in segments of 16 KiB: ${bySeg.size} segments`);
      for (const [seg, ranges] of bySeg) {
        ranges.sort((a, b) => a.offset - b.offset);
        ranges.forEach((r, i) => assert.ok(i === 0 || ranges[i - 1]!.offset + ranges[i - 1]!.len <= r.offset, `${seg}: ranges apart`));
        const end = ranges.at(-1)!.offset + ranges.at(-1)!.len;
        assert.ok(end <= 16 * 1024, `${seg} holds ${end} bytes`);
        assert.equal(statSync(join(dir, seg)).size, segs.all().get(seg), `${seg}: its size as known`);
      }
      segs.close();
    });
  }

  it('refuses an append that is not a multiple of the alignment', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, SEGS));
    const segs = new Segments(dir, false, syncDir);
    await assert.rejects(segs.append(Buffer.alloc(1000)), /not aligned/);
    segs.close();
  });

  it('a new start appends to a new segment, never to one it found; the one taking appends is never removed', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, SEGS));
    const first = new Segments(dir, false, syncDir);
    const a = parseLocation(await first.append(aligned(DIRECT_ALIGN)))!;
    first.close();
    const second = new Segments(dir, false, syncDir);
    assert.equal(second.all().get(a.seg), DIRECT_ALIGN, 'the old segment is known, with its size');
    const b = parseLocation(await second.append(aligned(DIRECT_ALIGN)))!;
    assert.notEqual(b.seg, a.seg);
    assert.equal(b.offset, 0);
    assert.ok(second.isActive(b.seg) && !second.isActive(a.seg));
    await second.remove(b.seg);
    assert.ok(existsSync(join(dir, b.seg)), 'the active segment stays');
    await second.remove(a.seg);
    assert.ok(!existsSync(join(dir, a.seg)));
    second.close();
  });
});

describe('a store\'s segments', () => {
  /** A history record of write `num` of `key`, its fragment `fragLen` bytes. */
  const record = (key: string, num: number, fragLen: number) => {
    const reg = regId('b', key);
    const prev = num === 1 ? null : { num: num - 1, writer: 'aaaaaaaaaaaaaaaa', op: 0, epoch: 0, tag: Buffer.alloc(32) };
    const w = prepareWrite(keys, params, reg, prev, 'aaaaaaaaaaaaaaaa', num, [], Buffer.from('{}'));
    const rec: HistRecord = { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: [], meta: Buffer.from('{}'), blocks: Buffer.alloc(0), blockSize: 8, fragLen };
    return { reg, key, c: w.candidate, rec };
  };

  /** Write `num` of `key`: 4,000 random bytes appended to a segment and recorded. */
  const put = async (store: DiskStore, key: string, num: number) => {
    const w = record(key, num, 4000);
    const bytes = aligned(DIRECT_ALIGN);
    const loc = await store.segments.append(bytes);
    assert.equal((await store.putHist(w.reg, w.rec, { file: loc })).kind, 'stored');
    store.segments.settle(loc);
    return { ...w, bytes: bytes.subarray(0, 4000), loc };
  };

  /** The bytes the store holds for a write, found through its row. */
  const held = (store: DiskStore, w: { reg: Buffer; rec: HistRecord }): Buffer => {
    const h = store.hist(w.reg, w.rec.ts)!;
    const at = store.fragAt(h.fragFile!);
    return readAt(at.path, at.offset, h.fragLen);
  };

  /** Overwrite: `next` becomes lc of its register and what it replaced is collected; the segments that lost a fragment are tidied. */
  const overwrite = async (store: DiskStore, next: { reg: Buffer; key: string; c: Parameters<DiskStore['setLc']>[3] }) => {
    await store.setLc(next.reg, 'b', next.key, next.c);
    const r = await store.collect(next.reg, () => false);
    assert.equal(r.dropped, 1);
    for (const seg of r.segments) await store.tidySegment(seg);
    return r.segments;
  };

  it('a segment at most half live is compacted: its fragments move, reads follow, and it is gone at the next open', async () => {
    const path = join(tempDir(), 'n0');
    let store = DiskStore.open(path, params.S, { segmentBytes: 4 * DIRECT_ALIGN });
    const old = [];
    for (const key of ['k1', 'k2', 'k3', 'k4']) old.push(await put(store, key, 1));
    const segA = parseLocation(old[0]!.loc)!.seg;
    assert.ok(old.every((w) => parseLocation(w.loc)!.seg === segA), 'four fragments fill the first segment');

    const n1 = await put(store, 'k1', 2);
    assert.deepEqual(await overwrite(store, n1), [segA]);
    assert.equal(store.hist(old[2]!.reg, old[2]!.rec.ts)!.fragFile, old[2]!.loc, 'three of four live: not compacted');

    const n2 = await put(store, 'k2', 2);
    await overwrite(store, n2);
    for (const w of [old[2]!, old[3]!]) {
      const moved = store.hist(w.reg, w.rec.ts)!.fragFile!;
      assert.notEqual(parseLocation(moved)!.seg, segA, `${w.key}: moved out of the half-live segment`);
      assert.ok(held(store, w).equals(w.bytes), `${w.key}: its bytes where its row says`);
    }
    assert.ok(held(store, n1).equals(n1.bytes) && held(store, n2).equals(n2.bytes));

    // A store of a write stored again, naming the fragment where it was before the move.
    const again = record('k3', 5, 4000);
    await store.putHist(again.reg, again.rec, { file: old[2]!.loc });
    assert.equal(store.hist(again.reg, again.rec.ts)!.fragFile, store.hist(old[2]!.reg, old[2]!.rec.ts)!.fragFile, 'recorded where the fragment is now');

    assert.ok(existsSync(join(path, segA)), 'kept a while for reads that looked it up just before');
    store.close();
    store = DiskStore.open(path, params.S, { segmentBytes: 4 * DIRECT_ALIGN });
    assert.ok(!existsSync(join(path, segA)), 'no row names it: the sweep removed it');
    for (const w of [old[2]!, old[3]!, n1, n2]) assert.ok(held(store, w).equals(w.bytes), `${w.key}: read after the restart`);
    store.close();
  });

  it('a segment holding an append whose row may still come is left alone, and asked about again; once settled it is tidied', async () => {
    const path = join(tempDir(), 'n0');
    const store = DiskStore.open(path, params.S, { segmentBytes: 2 * DIRECT_ALIGN });
    const k1 = await put(store, 'k1', 1);
    const pending = await store.segments.append(aligned(DIRECT_ALIGN)); // appended, its row not recorded yet
    const n1 = await put(store, 'k1', 2); // the next segment
    await store.setLc(n1.reg, 'b', 'k1', n1.c);
    const r = await store.collect(n1.reg, () => false);
    const seg = parseLocation(k1.loc)!.seg;
    assert.deepEqual(r.segments, [seg]);
    assert.equal(parseLocation(pending)!.seg, seg);
    assert.equal(await store.tidySegment(seg), false, 'to be asked again later');
    assert.ok(existsSync(join(path, seg)));
    store.segments.settle(pending); // its store gave up: no row will name it
    assert.equal(await store.tidySegment(seg), true);
    assert.equal(store.db.prepare('SELECT count(*) FROM hist WHERE frag_file LIKE ?').pluck().get(`${seg}@%`), 0, 'nothing names it: it goes');
    store.close();
  });

  it('the collector tidies the segments its drops touched: a half-dead one is compacted', async () => {
    const path = join(tempDir(), 'n0');
    const store = DiskStore.open(path, params.S, { segmentBytes: 2 * DIRECT_ALIGN });
    const gc = new GarbageCollector(store, new PinTable(), createLogger('gc-test', 'silent'));
    try {
      const k1 = await put(store, 'k1', 1);
      const k2 = await put(store, 'k2', 1);
      const n1 = await put(store, 'k1', 2); // the next segment
      await store.setLc(n1.reg, 'b', 'k1', n1.c);
      gc.schedule(n1.reg);
      await until('k1 collected and k2 moved', () => store.hist(k1.reg, k1.rec.ts) === undefined && store.hist(k2.reg, k2.rec.ts)!.fragFile !== k2.loc);
      assert.notEqual(parseLocation(store.hist(k2.reg, k2.rec.ts)!.fragFile!)!.seg, parseLocation(k2.loc)!.seg);
      assert.ok(held(store, k2).equals(k2.bytes));
    } finally {
      gc.stop();
      store.close();
    }
  });

  it('at open, a segment no row names is removed and one a row names stays', async () => {
    const path = join(tempDir(), 'n0');
    let store = DiskStore.open(path, params.S, { segmentBytes: DIRECT_ALIGN });
    const kept = await put(store, 'kept', 1);
    // Appended, never recorded (a store that crashed before its row committed).
    const orphan = parseLocation(await store.segments.append(aligned(DIRECT_ALIGN)))!; // (never settled: the process ends)
    const keptSeg = parseLocation(kept.loc)!.seg;
    assert.notEqual(orphan.seg, keptSeg, 'one fragment a segment here');
    store.close();
    store = DiskStore.open(path, params.S, { segmentBytes: DIRECT_ALIGN });
    assert.ok(!existsSync(join(path, orphan.seg)));
    assert.ok(existsSync(join(path, keptSeg)));
    assert.ok(held(store, kept).equals(kept.bytes));
    store.close();
  });

  it('a segment whose every fragment was collected is not named any more, and goes at the next open', async () => {
    const path = join(tempDir(), 'n0');
    let store = DiskStore.open(path, params.S, { segmentBytes: DIRECT_ALIGN });
    const w1 = await put(store, 'k', 1);
    const w2 = await put(store, 'k', 2); // the next segment: w1's is no longer taking appends
    const seg1 = parseLocation(w1.loc)!.seg;
    assert.deepEqual(await overwrite(store, w2), [seg1]);
    assert.equal(store.db.prepare('SELECT count(*) FROM hist WHERE frag_file LIKE ?').pluck().get(`${seg1}@%`), 0);
    store.close();
    store = DiskStore.open(path, params.S, { segmentBytes: DIRECT_ALIGN });
    assert.ok(!existsSync(join(path, seg1)));
    assert.ok(held(store, w2).equals(w2.bytes));
    store.close();
  });
});
