// Hist is a rowid table (schema.ts): a lookup seeks its small key index and
// reads the row, where a WITHOUT ROWID hist loaded the overflow pages of
// every row its seek compared with, from the file each time (counted here
// in read system calls). A store made with the old table gets the new one,
// with every row, its index and its running totals, on its next open.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { HistRecord } from '@powerstore/shared/protocol/server.js';
import { DiskStore } from './disk-store.js';

const params = clusterParams(1);
const keys = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
const META = Buffer.from(JSON.stringify({ v: 1, size: 4096, blockSize: 1048576, lastModified: 0, etag: 'e'.repeat(32) }));

/** Write 1 of `key`: a record as a 4 KiB object's fragment gives it (2 KiB inline at t = 1). */
function record(key: string, fragLen = 2048): { reg: Buffer; rec: HistRecord; c: ReturnType<typeof prepareWrite>['candidate'] } {
  const reg = regId('b', key);
  const cc = Array.from({ length: params.S }, () => randomBytes(32));
  const w = prepareWrite(keys, params, reg, null, 'aaaaaaaaaaaaaaaa', 1, cc, META);
  return { reg, c: w.candidate, rec: { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc, meta: META, blocks: randomBytes(32), blockSize: 1048576, fragLen } };
}

/** Read system calls this process made so far (pread included). */
function readCalls(): number {
  return Number(/syscr: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
}

const histSql = (db: Database.Database): string => db.prepare("SELECT sql FROM sqlite_master WHERE name = 'hist'").pluck().get() as string;

describe('hist as a rowid table', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-hist-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is looked up without reading overflow pages from the file', async () => {
    const store = DiskStore.open(join(dir, 'n0'), params.S);
    const written = Array.from({ length: 300 }, (_, i) => record(`k${i}`));
    await Promise.all(written.map((w) => store.putHist(w.reg, w.rec, { inline: randomBytes(2048) })));
    // Every page in the database file: a WAL page would be read through the cache either way.
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const w of written) assert.ok(store.hist(w.reg, w.rec.ts));
    const before = readCalls();
    for (const w of written) assert.equal(store.hist(w.reg, w.rec.ts)!.fragInline!.length, 2048);
    const reads = readCalls() - before;
    assert.ok(reads < 30, `${reads} reads for 300 lookups of cached pages (WITHOUT ROWID: over 900)`);
    assert.doesNotMatch(histSql(store.db), /WITHOUT ROWID/i);
    store.close();
  });

  it('replaces the WITHOUT ROWID table of an older store, keeping rows, index and totals', async () => {
    const path = join(dir, 'n1');
    const store = DiskStore.open(path, params.S);
    mkdirSync(join(path, 'frags', 'ab'), { recursive: true });
    writeFileSync(join(path, 'frags', 'ab', 'f'), 'x'.repeat(5000));
    const inline = record('small');
    const filed = record('large', 5000);
    await store.putHist(inline.reg, inline.rec, { inline: Buffer.alloc(2048, 7) });
    await store.putHist(filed.reg, filed.rec, { file: join('frags', 'ab', 'f') });
    await store.setLc(inline.reg, 'b', 'small', inline.c);
    await store.setLc(filed.reg, 'b', 'large', filed.c);
    const totals = { ...store.counts(), bytes: store.capacity().bytes };
    assert.deepEqual(totals, { registers: 2, histEntries: 2, bytes: 7048 });
    store.close();

    // As the last version left it: the same rows in a WITHOUT ROWID table, with its index and triggers.
    const raw = new Database(join(path, 'node.db'));
    const triggers = raw.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'hist'").pluck().all() as string[];
    assert.equal(triggers.length, 2);
    raw.exec(`ALTER TABLE hist RENAME TO hist_new;
      ${histSql(raw).replace(/\)\s*$/, ') WITHOUT ROWID')};
      INSERT INTO hist SELECT * FROM hist_new; DROP TABLE hist_new;
      CREATE INDEX hist_by_file ON hist (frag_file) WHERE frag_file IS NOT NULL;
      ${triggers.join(';\n')};`);
    assert.match(histSql(raw), /WITHOUT ROWID/);
    raw.close();

    const reopened = DiskStore.open(path, params.S);
    assert.doesNotMatch(histSql(reopened.db), /WITHOUT ROWID/i);
    assert.deepEqual({ ...reopened.counts(), bytes: reopened.capacity().bytes }, totals, 'the totals are the same');
    assert.deepEqual(reopened.hist(inline.reg, inline.rec.ts)!.fragInline, Buffer.alloc(2048, 7));
    assert.equal(reopened.hist(filed.reg, filed.rec.ts)!.fragFile, join('frags', 'ab', 'f'));
    const plan = reopened.db.prepare('EXPLAIN QUERY PLAN SELECT 1 FROM hist WHERE frag_file = ?').all('x') as Array<{ detail: string }>;
    assert.match(plan.map((p) => p.detail).join(' '), /hist_by_file/, 'files are found by their index');
    // The triggers follow the new table: one more entry, then one collected.
    const more = record('more', 100);
    await reopened.putHist(more.reg, more.rec, { inline: Buffer.alloc(100) });
    await reopened.setLc(more.reg, 'b', 'more', more.c);
    assert.deepEqual({ ...reopened.counts(), bytes: reopened.capacity().bytes }, { registers: 3, histEntries: 3, bytes: 7148 });
    reopened.close();
    const third = DiskStore.open(path, params.S);
    assert.equal(third.counts().histEntries, 3, 'opened again: nothing to convert');
    third.close();
  });

  it("a complete's head lookup: the entry's ts, N̄, D and vec, as hist() reads them; undefined when absent", async () => {
    const store = DiskStore.open(join(dir, 'n2'), params.S);
    const w = record('head');
    await store.putHist(w.reg, w.rec, { inline: randomBytes(2048) });
    const full = store.hist(w.reg, w.rec.ts)!;
    assert.deepEqual(store.histHead(w.reg, w.rec.ts), { ts: full.ts, nbar: full.nbar, d: full.d, vec: full.vec });
    assert.deepEqual(store.histHead(w.reg, w.rec.ts)!.vec, w.rec.vec);
    assert.equal(store.histHead(w.reg, { ...w.rec.ts, num: w.rec.ts.num + 1 }), undefined);
    assert.equal(store.histHead(regId('b', 'other'), w.rec.ts), undefined);
    store.close();
  });
});
