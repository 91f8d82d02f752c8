// The node's garbage collection on a real disk store: only history below lc
// goes; entries a read pins, entries above lc (their complete may still be
// in flight, and when it comes it finds them) and parts a completed object
// is made of stay; a fragment file another entry still names stays.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { createLogger } from '@powerstore/shared/log.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { PinTable } from '@powerstore/shared/protocol/pins.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { judgeComplete, validity, type HistRecord } from '@powerstore/shared/protocol/server.js';
import { until } from '@powerstore/shared/testing/until.js';
import { DiskStore } from '../store/disk-store.js';
import { GarbageCollector } from './gc.js';

describe('node garbage collection', () => {
  const params = clusterParams(1);
  const keys = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
  const dir = mkdtempSync(join(tmpdir(), 'ps-gc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const write = (store: DiskStore, key: string, num: number, file?: string, parts?: HistRecord['ts'][]) => {
    const reg = regId('b', key);
    const w = prepareWrite(keys, params, reg, num === 1 ? null : { num: num - 1, writer: 'aaaaaaaaaaaaaaaa', op: 0, epoch: 0, tag: Buffer.alloc(32) }, 'aaaaaaaaaaaaaaaa', num, [], Buffer.from('{}'));
    const rec: HistRecord = { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: [], meta: Buffer.from('{}'), blocks: Buffer.alloc(0), blockSize: 8, fragLen: 0 };
    return { reg, c: w.candidate, put: () => store.putHist(reg, rec, file ? { file } : { inline: Buffer.alloc(0) }, parts?.map((ts) => ({ ns: 'b', key: 'part', ts }))) };
  };

  it('drops only unpinned, unreferenced history below lc, and files no entry names', async () => {
    const store = DiskStore.open(join(dir, 'n0'), params.S);
    const pins = new PinTable();
    const w = [1, 2, 3, 4, 5].map((n) => write(store, 'k', n, n <= 2 ? join('frags', 'ab', `f${n}`) : undefined));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'n0', 'frags', 'ab'), { recursive: true });
    writeFileSync(join(dir, 'n0', 'frags', 'ab', 'f1'), 'one');
    writeFileSync(join(dir, 'n0', 'frags', 'ab', 'f2'), 'two');
    for (const x of w) await x.put();
    await store.setLc(w[0]!.reg, 'b', 'k', w[2]!.c); // lc = 3; 4 and 5 are above it
    pins.touch('read-1', w[0]!.reg.toString('hex'), w[1]!.c.ts); // a read pinned from 2 up
    let r = await store.collect(w[0]!.reg, (ts) => pins.covers(w[0]!.reg.toString('hex'), { ...ts, epoch: 0, tag: Buffer.alloc(0) }));
    assert.deepEqual(r, { dropped: 1, pinned: 1, released: [], segments: [] });
    assert.equal(store.hist(w[0]!.reg, w[0]!.c.ts), undefined, 'entry 1 went');
    assert.ok(!existsSync(join(dir, 'n0', 'frags', 'ab', 'f1')), 'and its file');
    assert.ok(store.hist(w[0]!.reg, w[1]!.c.ts), 'entry 2 is pinned');
    assert.ok(store.hist(w[0]!.reg, w[3]!.c.ts) && store.hist(w[0]!.reg, w[4]!.c.ts), 'entries above lc stay');
    pins.release('read-1', w[0]!.reg.toString('hex'));
    r = await store.collect(w[0]!.reg, () => false);
    assert.equal(r.dropped, 1);
    assert.ok(store.hist(w[0]!.reg, w[2]!.c.ts), "lc's own entry stays");
    // Entry 5's complete arrives long after its store, collections later: its entry is there to validate it.
    const late = store.hist(w[0]!.reg, w[4]!.c.ts);
    assert.ok(late, 'the entry above lc survived every collection');
    const lc = judgeComplete(keys.nodeKeyring(0), w[0]!.reg, store.lc(w[0]!.reg), w[4]!.c, late);
    assert.ok(lc && validity(keys.nodeKeyring(0), w[0]!.reg, w[4]!.c, late) === 'hist', 'the late complete is validated through its history entry');
    await store.setLc(w[0]!.reg, 'b', 'k', lc);
    assert.equal((await store.collect(w[0]!.reg, () => false)).dropped, 2, 'then 3 and 4 go');
    assert.ok(store.hist(w[0]!.reg, w[4]!.c.ts));
    store.close();
  });

  it('keeps a part while a completed object names it', async () => {
    const store = DiskStore.open(join(dir, 'n1'), params.S);
    const part = [1, 2].map((n) => write(store, 'part', n));
    for (const p of part) await p.put();
    const obj = write(store, 'obj', 1, undefined, [part[0]!.c.ts]);
    await obj.put();
    await store.setLc(part[0]!.reg, 'b', 'part', part[1]!.c);
    assert.equal((await store.collect(part[0]!.reg, () => false)).dropped, 0, 'referenced by obj');
    const obj2 = write(store, 'obj', 2);
    await obj2.put();
    await store.setLc(obj.reg, 'b', 'obj', obj2.c);
    const gone = await store.collect(obj.reg, () => false);
    assert.equal(gone.dropped, 1, 'the old object version went');
    assert.deepEqual(gone.released.map((r) => r.toString('hex')), [part[0]!.reg.toString('hex')], 'naming the part register to look at again');
    assert.equal((await store.collect(part[0]!.reg, () => false)).dropped, 1, 'and then the part it named');
    store.close();
  });

  it('collects the registers scheduled together in one group commit: one WAL sync, not one each', async () => {
    const store = DiskStore.open(join(dir, 'n2'), params.S);
    const gc = new GarbageCollector(store, new PinTable(), createLogger('gc-test', 'silent'));
    const keysWritten = Array.from({ length: 20 }, (_, i) => `k${i}`);
    for (const key of keysWritten) {
      const [w1, w2] = [write(store, key, 1), write(store, key, 2)];
      await w1.put();
      await w2.put();
      await store.setLc(w1.reg, 'b', key, w2.c);
    }
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync: FileHandle['datasync'] };
    await probe.close();
    const { datasync } = proto;
    let walSyncs = 0;
    proto.datasync = function (this: FileHandle) {
      if (readlinkSync(`/proc/self/fd/${this.fd}`).endsWith('node.db-wal')) walSyncs++;
      return datasync.call(this);
    };
    try {
      for (const key of keysWritten) gc.schedule(regId('b', key));
      await until('20 registers dropped', () => gc.dropped >= 20, 20_000, 5);
      assert.equal(gc.dropped, 20);
      assert.equal(walSyncs, 1, `${walSyncs} syncs`);
    } finally {
      proto.datasync = datasync;
      gc.stop();
      store.close();
    }
  });
});
