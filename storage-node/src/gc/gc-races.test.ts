// Garbage collection racing reads and multipart stores (protocol review
// finding 6): whatever the collector decided on its first look, the drop
// itself must not take an entry that a read pinned, or that a store made an
// object of, in between. Each test starts the collection without awaiting
// it, so its drop lands in the group commit after the other request has
// looked at the entry.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { sha256 } from '@powerstore/shared/hash.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { createLogger } from '@powerstore/shared/log.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN, frameHeader } from '@powerstore/shared/protocol/wire/frames.js';
import {
  encodeCommit, encodeCompleteReq, encodeFilterReq, encodeOpen, MISSING_PARTS, parseFilterAnswer,
} from '@powerstore/shared/protocol/wire/node-messages.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { PinTable } from '@powerstore/shared/protocol/pins.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { HistRecord, PartRef } from '@powerstore/shared/protocol/server.js';
import { compareTs, type Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import { DiskStore } from '../store/disk-store.js';
import { NodeMetrics } from '../metrics.js';
import { NodeRequestError, type NodeContext } from '../node-context.js';
import { handleComplete, handleFilter } from '../handlers/rpc-handlers.js';
import { handleStore } from '../handlers/store-handler.js';

const NS = 'b';
const params = clusterParams(1);
const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
const metrics = new NodeMetrics(0);
let op = 1;

/** A write of `key` after `prev`, with node 0's fragment `frag` (block size 64). */
function writeOf(key: string, prev: Timestamp | null, frag = Buffer.alloc(0), parts?: readonly PartRef[]) {
  const reg = regId(NS, key);
  const h = new BlockHasher(64, 'sha256');
  h.update(frag);
  const blocks = h.finish();
  const cc = Array.from({ length: params.S }, () => sha256(Buffer.alloc(0)));
  cc[0] = sha256(blocks);
  const w = prepareWrite(keyring, params, reg, prev, 'aaaaaaaaaaaaaaaa', op++, cc, Buffer.from('{}'));
  const rec: HistRecord = { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc, meta: w.meta, blocks, blockSize: 64, fragLen: frag.length };
  const commit = encodeCommit({ ts: rec.ts, nbar: rec.nbar, d: rec.d, vec: rec.vec, cc, meta: rec.meta, ...(parts ? { parts } : {}) });
  const open = encodeOpen({ ns: NS, key }, 64, { hash: 'sha256' });
  const body = Buffer.concat([frameHeader(FRAME_OPEN, open.length), open, frameHeader(FRAME_DATA, frag.length), frag, frameHeader(FRAME_COMMIT, commit.length), commit]);
  return { reg, c: w.candidate, rec, body };
}

const json = (b: Buffer): unknown => JSON.parse(b.toString('utf8'));

describe('garbage collection races (review finding 6)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-gc-races-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const node = (name: string): { ctx: NodeContext; store: DiskStore; pins: PinTable } => {
    const store = DiskStore.open(join(dir, name), params.S);
    const pins = new PinTable();
    const ctx: NodeContext = {
      index: 0, S: params.S, keys: keyring.nodeKeyring(0), store, log: createLogger('t', 'silent'),
      metrics, inlineMax: 1024, maxFragmentBytes: 1 << 20, pins,
    };
    return { ctx, store, pins };
  };

  it('a filter that answered with an entry and pinned it keeps it, though GC had already decided to drop it', async () => {
    const { ctx, store, pins } = node('filter');
    try {
      const w1 = writeOf('k', null);
      const w2 = writeOf('k', w1.c.ts);
      const reg = w1.reg;
      const regHex = reg.toString('hex');
      await store.putHist(reg, w1.rec, { inline: Buffer.alloc(0) });
      await store.putHist(reg, w2.rec, { inline: Buffer.alloc(0) });
      await handleComplete(ctx, json(encodeCompleteReq({ ns: NS, key: 'k' }, w2.c)));

      const pinned = (ts: Pick<Timestamp, 'num' | 'writer' | 'op'>) => pins.covers(regHex, { ...ts, epoch: 0, tag: Buffer.alloc(0) });
      const collecting = store.collect(reg, pinned); // decides w1 goes; the drop waits for the next commit
      // A read whose collect quorum was stale: C = {w1}.
      const answer = parseFilterAnswer(json(await handleFilter(ctx, json(encodeFilterReq({ ns: NS, key: 'k' }, 'read-1', [w1.c])))), params.S);
      assert.equal(compareTs(answer.ts, w1.c.ts), 0, 'the filter picked w1');
      assert.ok(answer.cc, 'and described it: a proof that it holds w1');
      assert.ok(pinned(w1.c.ts), 'the read pins w1 here');

      const r = await collecting;
      assert.equal(r.dropped, 0, 'the collector dropped nothing');
      assert.ok(store.hist(reg, w1.c.ts), 'w1, which the node has just described to a read, is still held');
      pins.release('read-1', regHex);
      assert.equal((await store.collect(reg, pinned)).dropped, 1, 'once the read let go, w1 goes');
    } finally {
      store.close();
    }
  });

  it('a multipart store whose part GC drops in the same commit is refused, not acked over a missing part', async () => {
    const { ctx, store } = node('parts');
    try {
      // Part register: P1 was retired (lc moved on to P2), so P1 is garbage unless an object is made of it.
      const p1 = writeOf('part', null);
      const p2 = writeOf('part', p1.c.ts);
      await store.putHist(p1.reg, p1.rec, { inline: Buffer.alloc(0) });
      await store.putHist(p1.reg, p2.rec, { inline: Buffer.alloc(0) });
      await store.setLc(p1.reg, NS, 'part', p2.c);

      const obj = writeOf('obj', null, randomBytes(100), [{ ns: NS, key: 'part', ts: p1.c.ts }]);
      const collecting = store.collect(p1.reg, () => false);
      const storing = handleStore(ctx, [obj.body]); // its part check sees P1, then its entry waits for the commit
      const [gc, stored] = await Promise.allSettled([collecting, storing]);
      if (gc.status === 'rejected') throw gc.reason;

      const partHeld = store.hist(p1.reg, p1.c.ts) !== undefined;
      if (stored.status === 'fulfilled') {
        assert.ok(partHeld, 'a node that acked the object holds its part');
      } else {
        assert.ok(stored.reason instanceof NodeRequestError && stored.reason.code === MISSING_PARTS, `refused as missing its part (${String(stored.reason)})`);
        assert.deepEqual(JSON.parse(stored.reason.message), [0], 'naming it, so the gateway heals it here');
        assert.equal(store.hist(obj.reg, obj.c.ts), undefined, 'and the object entry was not recorded');
      }
      assert.equal(gc.value.dropped, partHeld ? 0 : 1, 'the collector reports what it did');
    } finally {
      store.close();
    }
  });
});
