// The cache of recent small history entries (hist-cache.ts) mirrors the hist
// table: what DiskStore.hist answers is what the database holds, through
// inserts, collection, heals and rollbacks; it keeps only small inline
// entries, within its budget, in memory of their own; and histOnDisk always
// reads the database.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { HistRecord } from '@powerstore/shared/protocol/server.js';
import { DiskStore, type StoredHist } from './disk-store.js';
import { HistCache, histKey } from './hist-cache.js';

const params = clusterParams(1);
const keys = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
const WRITER = 'aaaaaaaaaaaaaaaa';

/** Write `num` of `key` with a fragment of `fragLen` bytes: its record and candidate. */
function record(key: string, num: number, fragLen: number): { reg: Buffer; rec: HistRecord; frag: Buffer; c: ReturnType<typeof prepareWrite>['candidate'] } {
  const reg = regId('b', key);
  const prev = num === 1 ? null : { num: num - 1, writer: WRITER, op: 0, epoch: 0, tag: Buffer.alloc(32) };
  const cc = Array.from({ length: params.S }, () => randomBytes(32));
  const meta = Buffer.from(`{"n":${num}}`);
  const w = prepareWrite(keys, params, reg, prev, WRITER, num, cc, meta);
  const rec: HistRecord = { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc, meta, blocks: randomBytes(32), blockSize: 4096, fragLen };
  return { reg, rec, frag: randomBytes(fragLen), c: w.candidate };
}

/** The fields of an entry, as comparable values. */
function fields(h: StoredHist | undefined): unknown {
  if (!h) return undefined;
  const hex = (b: Buffer | null): string | null => b && b.toString('hex');
  return {
    ts: [h.ts.num, h.ts.writer, h.ts.op, h.ts.epoch, hex(h.ts.tag)], nbar: hex(h.nbar), d: hex(h.d), vec: h.vec.map(hex), cc: h.cc.map(hex),
    meta: hex(h.meta), blocks: hex(h.blocks), blockSize: h.blockSize, fragLen: h.fragLen, fragFile: h.fragFile, fragInline: hex(h.fragInline),
  };
}

describe('hist cache (DiskStore)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-hist-cache-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers a stored small entry from memory: a change made behind the store\'s back shows on disk only', async () => {
    const store = DiskStore.open(join(dir, 'memory'), params.S);
    const w = record('k', 1, 2048);
    assert.equal((await store.putHist(w.reg, w.rec, { inline: w.frag })).kind, 'stored');
    assert.deepEqual(fields(store.hist(w.reg, w.rec.ts)), fields(store.histOnDisk(w.reg, w.rec.ts)), 'the same entry as the database\'s');
    const bad = Buffer.from(w.frag);
    bad[0]! ^= 0xff;
    store.db.prepare('UPDATE hist SET frag_inline = ? WHERE reg = ?').run(bad, w.reg);
    assert.ok(store.hist(w.reg, w.rec.ts)!.fragInline!.equals(w.frag), 'hist: the copy kept when it was stored');
    assert.ok(store.histOnDisk(w.reg, w.rec.ts)!.fragInline!.equals(bad), 'histOnDisk: the database\'s');
    store.db.prepare('UPDATE hist SET d = ? WHERE reg = ?').run(randomBytes(32), w.reg);
    const head = store.histHead(w.reg, w.rec.ts)!;
    assert.deepEqual(Object.keys(head).sort(), ['d', 'nbar', 'ts', 'vec']);
    assert.ok(head.d.equals(w.rec.d), 'histHead from the kept copy too');
    store.close();
  });

  it('forgets an entry the collector dropped', async () => {
    const store = DiskStore.open(join(dir, 'collect'), params.S);
    const w1 = record('k', 1, 100);
    const w2 = record('k', 2, 100);
    await store.putHist(w1.reg, w1.rec, { inline: w1.frag });
    await store.putHist(w2.reg, w2.rec, { inline: w2.frag });
    assert.ok(store.hist(w1.reg, w1.rec.ts));
    await store.setLc(w2.reg, 'b', 'k', w2.c);
    assert.equal((await store.collect(w1.reg, () => false)).dropped, 1);
    assert.equal(store.hist(w1.reg, w1.rec.ts), undefined, 'gone, as its row');
    assert.equal(store.histHead(w1.reg, w1.rec.ts), undefined);
    assert.ok(store.hist(w2.reg, w2.rec.ts), 'lc\'s entry stays');
    store.close();
  });

  it('forgets an entry whose transaction rolled back', async () => {
    const store = DiskStore.open(join(dir, 'rollback'), params.S);
    const w = record('k', 1, 100);
    const put = store.putHist(w.reg, w.rec, { inline: w.frag });
    // Queued in the same turn: the same transaction, which this op rolls back.
    const fail = store.committer.run(() => {
      throw new Error('rolled back');
    });
    await assert.rejects(put, /rolled back/);
    await assert.rejects(fail, /rolled back/);
    assert.equal(store.histOnDisk(w.reg, w.rec.ts), undefined);
    assert.equal(store.hist(w.reg, w.rec.ts), undefined, 'not answered from memory either');
    store.close();
  });

  it('takes a healed inline copy, and a healed block list', async () => {
    const store = DiskStore.open(join(dir, 'heal'), params.S);
    const w = record('k', 1, 300);
    await store.putHist(w.reg, w.rec, { inline: w.frag });
    const kept = store.hist(w.reg, w.rec.ts)!;
    const fresh = randomBytes(300);
    const blocks = randomBytes(32);
    await store.replaceFragment(w.reg, kept, { inline: fresh }, blocks);
    const after = store.hist(w.reg, w.rec.ts)!;
    assert.ok(after.fragInline!.equals(fresh));
    assert.ok(after.blocks.equals(blocks));
    assert.deepEqual(fields(after), fields(store.histOnDisk(w.reg, w.rec.ts)));
    store.close();
  });

  it('reads an entry it does not hold from the database, and keeps it from then on', async () => {
    const path = join(dir, 'reopen');
    const w = record('k', 1, 500);
    const first = DiskStore.open(path, params.S);
    await first.putHist(w.reg, w.rec, { inline: w.frag });
    first.close();
    const store = DiskStore.open(path, params.S);
    assert.deepEqual(fields(store.hist(w.reg, w.rec.ts)), fields(store.histOnDisk(w.reg, w.rec.ts)));
    store.db.prepare('UPDATE hist SET meta = ? WHERE reg = ?').run(Buffer.from('{}'), w.reg);
    assert.ok(store.hist(w.reg, w.rec.ts)!.meta.equals(w.rec.meta), 'kept since the first read');
    store.close();
  });

  it('does not keep an entry with a fragment file', async () => {
    const store = DiskStore.open(join(dir, 'file'), params.S);
    const w = record('k', 1, 100_000);
    await store.putHist(w.reg, w.rec, { file: 'frags/00/none' });
    store.db.prepare('UPDATE hist SET frag_file = ? WHERE reg = ?').run('frags/00/moved', w.reg);
    assert.equal(store.hist(w.reg, w.rec.ts)!.fragFile, 'frags/00/moved', 'read from the database each time');
    store.close();
  });
});

describe('HistCache', () => {
  /** A small inline entry of `fragLen` bytes, as a parse of a request makes it (slices of the shared pool). */
  function entry(fragLen: number, fragFile: string | null = null): StoredHist {
    const w = record('e', 1, fragLen);
    const pooled = (b: Buffer): Buffer => Buffer.from(b.toString('hex'), 'hex');
    return {
      ...w.rec, nbar: pooled(w.rec.nbar), d: pooled(w.rec.d), vec: w.rec.vec.map(pooled), cc: w.rec.cc.map(pooled),
      fragFile, fragInline: fragFile ? null : pooled(w.frag),
    };
  }

  it('keeps a copy in memory of its own: the caller\'s buffers may change, and no pool slab is held', () => {
    const cache = new HistCache();
    const h = entry(64);
    const kept = cache.set('a', h);
    const before = fields(kept);
    h.fragInline!.fill(0);
    h.vec[0]!.fill(0);
    assert.deepEqual(fields(cache.get('a')), before);
    const buffers = [kept.nbar, kept.d, ...kept.vec, ...kept.cc, kept.meta, kept.blocks, kept.fragInline!, kept.ts.tag];
    const mem = new Set(buffers.map((b) => b.buffer));
    assert.equal(mem.size, 1, 'one allocation');
    assert.ok(buffers[0]!.buffer.byteLength < 8192, 'its own, not a slab of the shared pool');
  });

  it('keeps neither file-backed entries nor ones above the entry limit', () => {
    const cache = new HistCache(1 << 20, 4096);
    cache.set('file', entry(0, 'segs/00000001@0'));
    cache.set('big', entry(5000));
    cache.set('small', entry(1000));
    assert.equal(cache.get('file'), undefined);
    assert.equal(cache.get('big'), undefined);
    assert.ok(cache.get('small'));
    assert.equal(cache.size, 1);
  });

  it('stays within its budget, least recently used out first', () => {
    const probe = new HistCache();
    probe.set('x', entry(2000));
    const one = probe.bytes;
    assert.ok(one > 2000, 'an entry costs its bytes and more');
    const cache = new HistCache(5 * one, 8192);
    for (const k of ['a', 'b', 'c', 'd', 'e']) cache.set(k, entry(2000));
    assert.equal(cache.size, 5, 'five fit');
    cache.get('a'); // used: 'b' is now the oldest
    cache.set('f', entry(2000));
    assert.equal(cache.size, 5);
    assert.equal(cache.get('b'), undefined, 'the least recently used went');
    assert.ok(cache.get('a'));
    assert.equal(cache.bytes, 5 * one);
    cache.delete('a');
    cache.delete('a');
    const held = cache.bytes;
    cache.clear();
    assert.ok(held > 0);
    assert.equal(cache.bytes, 0);
    assert.equal(cache.size, 0);
  });

  it('names an entry by register and ts', () => {
    const ts = { num: 3, writer: WRITER, op: 1 };
    assert.equal(histKey('ab', ts), `ab/3/${WRITER}/1`);
    assert.notEqual(histKey('ab', ts), histKey('ab', { ...ts, op: 2 }));
  });
});
