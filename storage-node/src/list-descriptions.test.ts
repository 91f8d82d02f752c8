// lc's description kept beside lc (disk-store.ts, DESCRIPTIONS): a listing
// reads each key's cc and meta with its lc. The description must always be
// lc's own: recorded with lc when this node holds lc's entry, filled in when
// the entry is stored after its complete, cleared when lc moves on to an
// entry this node lacks, and made for a store that predates it.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SecretWriterKeyring } from '../../shared/src/keys.js';
import { prepareWrite } from '../../shared/src/protocol/client.js';
import { clusterParams } from '../../shared/src/protocol/params.js';
import { regId } from '../../shared/src/protocol/register.js';
import type { HistRecord } from '../../shared/src/protocol/server.js';
import { DiskStore } from './disk-store.js';

const params = clusterParams(1);
const keys = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
const KEY = 'k';
const reg = regId('b', KEY);

/** Write `num` of KEY, with its own cc and meta. */
function write(num: number): { c: ReturnType<typeof prepareWrite>['candidate']; rec: HistRecord } {
  const w = prepareWrite(keys, params, reg, null, 'aaaaaaaaaaaaaaaa', num, [], Buffer.from('{}'));
  const cc = Array.from({ length: params.S }, () => randomBytes(32));
  const rec: HistRecord = { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc, meta: Buffer.from(`{"n":${num}}`), blocks: Buffer.alloc(0), blockSize: 8, fragLen: 4 };
  return { c: w.candidate, rec };
}

/** What a listing of KEY shows as lc's description, and what the row holds. */
function listed(store: DiskStore): { meta: string | null; cc: Buffer[] | null; row: { desc_cc: Buffer | null; desc_meta: Buffer | null } } {
  const [r] = store.list('b', Buffer.alloc(0), null, null, 10);
  const row = store.db.prepare('SELECT desc_cc, desc_meta FROM regs WHERE reg = ?').get(reg) as { desc_cc: Buffer | null; desc_meta: Buffer | null };
  return { meta: r?.described?.meta.toString() ?? null, cc: r?.described?.cc ?? null, row };
}

describe('lc\'s description beside lc', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-list-desc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const open = (): DiskStore => DiskStore.open(join(dir, `n${n++}`), params.S);

  it('is recorded with lc when the node holds lc\'s entry', async () => {
    const store = open();
    const w1 = write(1);
    await store.putHist(reg, 'b', KEY, w1.rec, { inline: Buffer.alloc(4) });
    await store.setLc(reg, 'b', KEY, w1.c);
    const l = listed(store);
    assert.equal(l.meta, '{"n":1}');
    assert.deepEqual(l.cc, w1.rec.cc);
    assert.deepEqual(l.row.desc_meta, w1.rec.meta, 'read from the row, not looked up');
    store.close();
  });

  it('is filled in when lc\'s entry is stored after its complete, and not by an older entry', async () => {
    const store = open();
    const w1 = write(1);
    const w2 = write(2);
    await store.setLc(reg, 'b', KEY, w2.c);
    assert.equal(listed(store).meta, null, 'no entry, no description');
    assert.equal(listed(store).row.desc_cc, null);
    await store.putHist(reg, 'b', KEY, w1.rec, { inline: Buffer.alloc(4) });
    assert.equal(listed(store).row.desc_cc, null, 'an older entry does not describe lc');
    assert.equal(listed(store).meta, null);
    await store.putHist(reg, 'b', KEY, w2.rec, { inline: Buffer.alloc(4) });
    assert.deepEqual(listed(store).row.desc_meta, w2.rec.meta);
    assert.equal(listed(store).meta, '{"n":2}');
    store.close();
  });

  it('moves with lc, and is cleared when lc moves to an entry the node lacks', async () => {
    const store = open();
    const [w1, w2, w3] = [write(1), write(2), write(3)];
    await store.putHist(reg, 'b', KEY, w1.rec, { inline: Buffer.alloc(4) });
    await store.putHist(reg, 'b', KEY, w2.rec, { inline: Buffer.alloc(4) });
    await store.setLc(reg, 'b', KEY, w1.c);
    await store.setLc(reg, 'b', KEY, w2.c);
    assert.equal(listed(store).meta, '{"n":2}');
    await store.setLc(reg, 'b', KEY, w3.c);
    assert.equal(listed(store).row.desc_cc, null, 'not w2\'s any more');
    assert.equal(listed(store).meta, null);
    store.close();
  });

  it('is made on open for a store from before it, from the entries it holds', async () => {
    const path = join(dir, 'old');
    let store = DiskStore.open(path, params.S);
    const w1 = write(1);
    await store.putHist(reg, 'b', KEY, w1.rec, { inline: Buffer.alloc(4) });
    await store.setLc(reg, 'b', KEY, w1.c);
    const other = regId('b', 'other');
    const wo = prepareWrite(keys, params, other, null, 'aaaaaaaaaaaaaaaa', 1, [], Buffer.from('{}'));
    await store.setLc(other, 'b', 'other', wo.candidate); // lc without its entry
    store.close();
    const db = new Database(join(path, 'node.db'));
    db.exec('ALTER TABLE regs DROP COLUMN desc_cc; ALTER TABLE regs DROP COLUMN desc_meta');
    db.close();
    store = DiskStore.open(path, params.S);
    assert.deepEqual(listed(store).row.desc_meta, w1.rec.meta);
    const rows = store.list('b', Buffer.alloc(0), null, null, 10);
    assert.deepEqual(rows.map((r) => [r.key, r.described?.meta.toString() ?? null]), [['k', '{"n":1}'], ['other', null]]);
    store.close();
  });
});
