// The node's running totals (disk-store.ts, TALLIES): after every kind of
// change they equal what a full count of the tables gives, and a store made
// before they existed gets them, counted once, on its next open.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** What the totals must be, counted the slow way. */
function counted(db: Database.Database): { registers: number; histEntries: number; bytes: number } {
  const one = (sql: string): number => db.prepare(sql).pluck().get() as number;
  return {
    registers: one('SELECT count(*) FROM regs'),
    histEntries: one('SELECT count(*) FROM hist'),
    bytes: one('SELECT coalesce(sum(frag_len), 0) FROM hist WHERE frag_file IS NULL')
      + one('SELECT coalesce(sum(len), 0) FROM (SELECT max(frag_len) AS len FROM hist WHERE frag_file IS NOT NULL GROUP BY frag_file)'),
  };
}

function tallied(store: DiskStore): { registers: number; histEntries: number; bytes: number } {
  return { ...store.counts(), bytes: store.capacity().bytes };
}

describe('a node\'s running totals', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-tallies-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A history record of `fragLen` bytes for write `num` of `key`. */
  const record = (key: string, num: number, fragLen: number) => {
    const reg = regId('b', key);
    const prev = num === 1 ? null : { num: num - 1, writer: 'aaaaaaaaaaaaaaaa', op: 0, epoch: 0, tag: Buffer.alloc(32) };
    const w = prepareWrite(keys, params, reg, prev, 'aaaaaaaaaaaaaaaa', num, [], Buffer.from('{}'));
    const rec: HistRecord = { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: [], meta: Buffer.from('{}'), blocks: Buffer.alloc(0), blockSize: 8, fragLen };
    return { reg, c: w.candidate, rec };
  };

  it('follow inserts, duplicates, lc updates, shared files and collections', async () => {
    const path = join(dir, 'n0');
    const store = DiskStore.open(path, params.S);
    const check = (why: string): void => assert.deepEqual(tallied(store), counted(store.db), why);
    check('empty');
    mkdirSync(join(path, 'frags', 'ab'), { recursive: true });
    writeFileSync(join(path, 'frags', 'ab', 'f'), 'x'.repeat(500));

    const w1 = record('k', 1, 100);
    assert.equal((await store.putHist(w1.reg, w1.rec, { inline: Buffer.alloc(100) })).kind, 'stored');
    check('one inline entry');
    // A register is a row of regs from its first complete on, not from its first store: no write to it completed yet.
    assert.equal(tallied(store).registers, 0);
    assert.equal((await store.putHist(w1.reg, w1.rec, { inline: Buffer.alloc(100) })).kind, 'exists');
    check('the same entry again: nothing inserted');
    const w2 = record('k', 2, 500);
    const w3 = record('k', 3, 500);
    await store.putHist(w2.reg, w2.rec, { file: join('frags', 'ab', 'f') });
    await store.putHist(w3.reg, w3.rec, { file: join('frags', 'ab', 'f') });
    check('two entries sharing one file: its bytes once');
    assert.equal(tallied(store).bytes, 600);
    const other = record('other', 1, 7);
    await store.putHist(other.reg, other.rec, { inline: Buffer.alloc(7) });
    await store.setLc(other.reg, 'b', 'other', other.c);
    await store.setLc(w1.reg, 'b', 'k', w3.c);
    check('lc set on new and existing registers');
    assert.equal(tallied(store).registers, 2);
    assert.equal((await store.collect(w1.reg, (ts) => ts.num === 2)).dropped, 1);
    check('entry 1 collected, entry 2 pinned: the file still named');
    assert.equal(tallied(store).bytes, 507);
    assert.equal((await store.collect(w1.reg, () => false)).dropped, 1);
    check('entry 2 collected: the file still named by entry 3');
    await assert.rejects(store.committer.run(() => {
      store.db.prepare('DELETE FROM hist WHERE reg = ?').run(other.reg);
      throw new Error('rolled back');
    }), /rolled back/);
    check('a rolled-back transaction changes nothing');
    assert.deepEqual(tallied(store), { registers: 2, histEntries: 2, bytes: 507 });
    store.close();

    const again = DiskStore.open(path, params.S);
    assert.deepEqual(tallied(again), { registers: 2, histEntries: 2, bytes: 507 }, 'kept across a restart');
    again.close();
  });

  it('a store made before the totals existed gets them on its next open, from a count', async () => {
    const path = join(dir, 'n1');
    const store = DiskStore.open(path, params.S);
    for (let i = 1; i <= 3; i++) {
      const w = record(`k${i}`, 1, 10 * i);
      await store.putHist(w.reg, w.rec, { inline: Buffer.alloc(10 * i) });
      await store.setLc(w.reg, 'b', `k${i}`, w.c);
    }
    store.close();
    // As an older version left it: no tallies table, no triggers.
    const raw = new Database(join(path, 'node.db'));
    raw.exec(`DROP TRIGGER tally_regs_insert; DROP TRIGGER tally_regs_delete;
      DROP TRIGGER tally_hist_insert; DROP TRIGGER tally_hist_delete; DROP TABLE tallies;`);
    raw.close();
    const reopened = DiskStore.open(path, params.S);
    assert.deepEqual(tallied(reopened), { registers: 3, histEntries: 3, bytes: 60 });
    const w = record('k4', 1, 40);
    await reopened.putHist(w.reg, w.rec, { inline: Buffer.alloc(40) });
    assert.deepEqual(tallied(reopened), counted(reopened.db), 'and they follow changes from then on');
    reopened.close();
  });
});
