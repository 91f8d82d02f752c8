// The lc cache (lc-cache.ts) mirrors the regs table: what DiskStore answers
// is what the database holds, through commits and rollbacks, and the cache
// keeps no slab of Node's shared Buffer pool alive.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import type { Candidate } from '@powerstore/shared/protocol/candidate.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { candToWire, parseCand } from '@powerstore/shared/protocol/wire/wire.js';
import { DiskStore } from './disk-store.js';
import { detached, LcCache } from './lc-cache.js';

const params = clusterParams(1);
const keys = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
const META = Buffer.from('{}');

/** Write `n` of a register: its candidate, as the gateway's complete carries it. */
function candidate(reg: Buffer, n: number): Candidate {
  const cc = Array.from({ length: params.S }, () => randomBytes(32));
  return prepareWrite(keys, params, reg, null, 'aaaaaaaaaaaaaaaa', n, cc, META).candidate;
}

/** A candidate as a parse of its JSON makes it: every field a slice of the shared pool. */
function pooled(c: Candidate): Candidate {
  return parseCand(JSON.parse(JSON.stringify(candToWire(c))), params.S);
}

const same = (a: Candidate | null, b: Candidate | null): void =>
  assert.deepEqual(a && candToWire(a), b && candToWire(b));

describe('lc cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-lc-cache-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers what the database holds after each commit, read or written first', async () => {
    const store = DiskStore.open(join(dir, 'commits'), params.S);
    const reg = regId('b', 'k');
    assert.equal(store.committedLc(reg), null);
    const c1 = candidate(reg, 1);
    await store.setLc(reg, 'b', 'k', c1);
    same(store.committedLc(reg), c1);
    const c2 = candidate(reg, 2);
    await store.setLc(reg, 'b', 'k', c2);
    same(store.committedLc(reg), c2);
    store.close();
    // What the next process reads from the file.
    const again = DiskStore.open(join(dir, 'commits'), params.S);
    same(again.committedLc(reg), c2);
    again.close();
  });

  it('forgets an lc whose transaction rolled back', async () => {
    const store = DiskStore.open(join(dir, 'rollback'), params.S);
    const reg = regId('b', 'k');
    const c1 = candidate(reg, 1);
    await store.setLc(reg, 'b', 'k', c1);
    same(store.committedLc(reg), c1);
    // The same transaction as the next setLc: its failure rolls both back.
    const c2 = candidate(reg, 2);
    const raised = store.setLc(reg, 'b', 'k', c2);
    const failing = store.committer.run(() => {
      // Seen inside the transaction, as the row is.
      same(store.committedLc(reg), c2);
      throw new Error('disk says no');
    });
    await assert.rejects(failing, /disk says no/);
    await assert.rejects(raised, /disk says no/);
    same(store.committedLc(reg), c1);
    assert.equal(store.db.prepare('SELECT lc FROM regs WHERE reg = ?').pluck().get(reg), JSON.stringify(candToWire(c1)));
    store.close();
  });

  it('keeps no slice of the shared Buffer pool, and what it keeps equals what it was given', () => {
    const c = pooled(candidate(regId('b', 'k'), 1));
    assert.ok(c.nonce.buffer.byteLength > c.nonce.length, 'the parse gives pool slices');
    const kept = detached(c);
    same(kept, c);
    const all = [kept.ts.tag, kept.nonce, kept.d, ...kept.vec];
    // One allocation of its own, exactly as long as the bytes it holds.
    assert.ok(all.every((b) => b.buffer === kept.nonce.buffer));
    assert.equal(kept.nonce.buffer.byteLength, all.reduce((n, b) => n + b.length, 0));
    assert.ok(all.every((b) => b.buffer !== c.nonce.buffer));
  });

  it('holds at most its bound, dropping the least recently used', () => {
    const cache = new LcCache(3);
    const c = candidate(regId('b', 'k'), 1);
    for (const id of ['a', 'b', 'c']) cache.set(id, c);
    cache.get('a');
    cache.set('d', null);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('b'), undefined);
    assert.notEqual(cache.get('a'), undefined);
    assert.equal(cache.get('d'), null);
  });
});
