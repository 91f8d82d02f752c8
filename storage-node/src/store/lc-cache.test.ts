// DiskStore keeps the committed lc of recent registers in memory: it must
// say what the database says, after a restart and after a transaction that
// rolled back with an lc in it.

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
import type { Candidate } from '@powerstore/shared/protocol/candidate.js';
import { DiskStore } from './disk-store.js';

describe('the committed lc kept in memory', () => {
  const params = clusterParams(1);
  const keys = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
  const dir = mkdtempSync(join(tmpdir(), 'ps-lc-cache-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const reg = regId('b', 'k');
  const cand = (num: number): Candidate =>
    prepareWrite(keys, params, reg, num === 1 ? null : { num: num - 1, writer: 'aaaaaaaaaaaaaaaa', op: 0, epoch: 0, tag: Buffer.alloc(32) }, 'aaaaaaaaaaaaaaaa', num, [], Buffer.from('{}')).candidate;

  it('is what the database holds, before and after a restart', async () => {
    const path = join(dir, 'n0');
    let store = DiskStore.open(path, params.S);
    assert.equal(store.committedLc(reg), null, 'none yet (and that is remembered too)');
    const c1 = cand(1);
    await store.setLc(reg, 'b', 'k', c1);
    assert.equal(store.committedLc(reg)?.ts.num, 1);
    store.close();
    store = DiskStore.open(path, params.S);
    assert.equal(store.committedLc(reg)?.ts.num, 1);
    store.close();
  });

  it('forgets an lc whose transaction rolled back', async () => {
    const store = DiskStore.open(join(dir, 'n1'), params.S);
    await store.setLc(reg, 'b', 'k', cand(1));
    assert.equal(store.committedLc(reg)?.ts.num, 1);
    // Queued in the same turn: one transaction, which the failing op rolls back.
    const raised = store.setLc(reg, 'b', 'k', cand(2));
    const failing = store.committer.run(() => {
      throw new Error('disk full');
    });
    await assert.rejects(raised, /disk full/);
    await assert.rejects(failing, /disk full/);
    assert.equal(store.committedLc(reg)?.ts.num, 1, 'the database still holds lc 1');
    assert.equal(store.lc(reg)?.ts.num, 1);
    store.close();
  });
});
