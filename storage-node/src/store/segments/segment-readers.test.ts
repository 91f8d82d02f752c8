import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { SegmentReaders } from './segment-readers.js';

/** A data folder with segments segs/00000001.. holding `text` each. */
function folder(t: TestContext, segs: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'seg-readers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'segs'));
  for (const [name, text] of Object.entries(segs)) writeFileSync(join(dir, name), text);
  return dir;
}

async function readAll(r: SegmentReaders, seg: string): Promise<string> {
  const lease = await r.acquire(seg);
  try {
    const b = Buffer.alloc(64);
    const { bytesRead } = await lease.fh.read(b, 0, 64, 0);
    return b.subarray(0, bytesRead).toString();
  } finally {
    lease.release();
  }
}

const closed = async (fh: { fd: number }): Promise<boolean> => {
  await new Promise((r) => setImmediate(r));
  return fh.fd === -1;
};

describe('segment read handles', () => {
  it('a segment read twice is opened once; its handle stays open between reads', async (t) => {
    const dir = folder(t, { 'segs/00000001': 'one' });
    const r = new SegmentReaders(dir, false);
    const a = await r.acquire('segs/00000001');
    a.release();
    const b = await r.acquire('segs/00000001');
    assert.equal(b.fh, a.fh, 'the same handle');
    assert.equal(b.fh.fd > 0, true, 'still open');
    b.release();
    assert.equal(await readAll(r, 'segs/00000001'), 'one');
    r.close();
    assert.ok(await closed(a.fh), 'closed with the cache');
  });

  it('a removed segment read meanwhile: the read finishes on its handle, which closes after it', async (t) => {
    const dir = folder(t, { 'segs/00000001': 'old bytes' });
    const r = new SegmentReaders(dir, false);
    const lease = await r.acquire('segs/00000001');
    unlinkSync(join(dir, 'segs/00000001'));
    r.drop('segs/00000001');
    const b = Buffer.alloc(9);
    await lease.fh.read(b, 0, 9, 0);
    assert.equal(b.toString(), 'old bytes');
    assert.equal(lease.fh.fd > 0, true, 'open while leased');
    lease.release();
    lease.release(); // a second release changes nothing
    assert.ok(await closed(lease.fh), 'closed once the read ended');
    assert.equal(r.size, 0);
    await assert.rejects(r.acquire('segs/00000001'), /ENOENT/, 'a new read finds it gone');
  });

  it('beyond the limit the least recently used idle handle closes; leased ones stay', async (t) => {
    const dir = folder(t, { 'segs/00000001': '1', 'segs/00000002': '2', 'segs/00000003': '3', 'segs/00000004': '4' });
    const r = new SegmentReaders(dir, false, 2);
    const held = await r.acquire('segs/00000001');
    const two = await r.acquire('segs/00000002');
    two.release();
    assert.equal(await readAll(r, 'segs/00000003'), '3');
    // 1 is leased, so 2 (idle, least recently used) went.
    assert.ok(await closed(two.fh));
    assert.equal(held.fh.fd > 0, true);
    assert.equal(r.size, 2);
    held.release();
    // Using 1 made 3 the least recently used one.
    assert.equal(await readAll(r, 'segs/00000001'), '1');
    const four = await r.acquire('segs/00000004');
    four.release();
    assert.equal(r.size, 2);
    assert.equal(await readAll(r, 'segs/00000001'), '1');
    r.close();
  });

  it('every handle leased and the limit reached: a new segment is still read, and its handle goes after', async (t) => {
    const dir = folder(t, { 'segs/00000001': '1', 'segs/00000002': '2' });
    const r = new SegmentReaders(dir, false, 1);
    const held = await r.acquire('segs/00000001');
    const second = await r.acquire('segs/00000002');
    assert.equal(second.fh.fd > 0, true, 'the new handle was not evicted on arrival');
    const b = Buffer.alloc(1);
    await second.fh.read(b, 0, 1, 0);
    assert.equal(b.toString(), '2');
    held.release();
    second.release();
    assert.equal(r.size, 1, 'back under the limit once idle');
    r.close();
  });

  it('a segment that cannot be opened is not cached: the next read tries again', async (t) => {
    const dir = folder(t, {});
    const r = new SegmentReaders(dir, false);
    await assert.rejects(r.acquire('segs/00000009'), /ENOENT/);
    assert.equal(r.size, 0);
    writeFileSync(join(dir, 'segs/00000009'), 'late');
    assert.equal(await readAll(r, 'segs/00000009'), 'late');
    r.close();
  });
});
