// Write leases (write-leases.ts): held from a store until that write's
// complete, tied to the entry a re-store came from, expiring when a gateway
// never comes back; and the collector keeps leased entries below lc.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { HistRecord } from '@powerstore/shared/protocol/server.js';
import { DiskStore } from './disk-store.js';
import { WriteLeases } from './write-leases.js';

const ts = (num: number) => ({ num, writer: 'aaaaaaaaaaaaaaaa', op: 0 });

describe('write leases', () => {
  it('hold until the complete of that ts; a re-store ties its first entry to itself', () => {
    const l = new WriteLeases(() => 0, 1000);
    l.hold('r', ts(1));
    l.hold('r', ts(2), ts(1)); // stored again from 1
    assert.ok(l.covers('r', ts(1)) && l.covers('r', ts(2)));
    assert.ok(!l.covers('other', ts(1)));
    l.release('r', ts(1)); // a complete of the abandoned ts would never come, but must not matter
    assert.ok(l.covers('r', ts(2)));
    l.release('r', ts(2));
    assert.equal(l.size, 0, 'the re-store\'s complete ends both');
  });

  it('a complete that came before the store finished here leaves no lease behind', () => {
    const l = new WriteLeases(() => 0, 1000);
    l.release('r', ts(7)); // this node was the straggler of the store round
    l.hold('r', ts(7));
    assert.ok(!l.covers('r', ts(7)));
    assert.equal(l.size, 0);
  });

  it('expire (a gateway that died mid-write)', () => {
    let now = 0;
    const l = new WriteLeases(() => now, 1000);
    l.hold('r', ts(1));
    now = 999;
    assert.ok(l.covers('r', ts(1)));
    now = 1000;
    assert.ok(!l.covers('r', ts(1)));
    assert.equal(l.size, 0);
  });

  describe('with the collector', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ps-lease-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('an entry below lc under a lease stays until the lease ends', async () => {
      const params = clusterParams(1);
      const keys = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
      const store = DiskStore.open(dir, params.S);
      const reg = regId('b', 'k');
      const entry = (num: number) => {
        const w = prepareWrite(keys, params, reg, num === 1 ? null : { ...ts(num - 1), epoch: 0, tag: Buffer.alloc(32) }, 'aaaaaaaaaaaaaaaa', num, [], Buffer.from('{}'));
        const rec: HistRecord = { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: [], meta: Buffer.from('{}'), blocks: Buffer.alloc(0), blockSize: 8, fragLen: 0 };
        return { c: w.candidate, put: () => store.putHist(reg, rec, { inline: Buffer.alloc(0) }) };
      };
      const [e1, e2] = [entry(1), entry(2)];
      await e1.put();
      await e2.put();
      await store.setLc(reg, 'b', 'k', e2.c); // 1 is below lc
      const leases = new WriteLeases();
      leases.hold(reg.toString('hex'), e1.c.ts);
      const held = (t: Parameters<WriteLeases['covers']>[1]) => leases.covers(reg.toString('hex'), t);
      assert.deepEqual(await store.collect(reg, held), { dropped: 0, pinned: 1, released: [], segments: [] }, 'kept, and counted so it is looked at again');
      leases.release(reg.toString('hex'), e1.c.ts);
      assert.equal((await store.collect(reg, held)).dropped, 1);
      store.close();
    });
  });
});
