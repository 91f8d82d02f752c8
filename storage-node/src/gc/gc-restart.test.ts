// A node restart (protocol review finding 9): the pins of reads in progress
// died with the old process. A collector that starts over a store that
// already holds history waits one pin lease before collecting anything, so
// a read in progress has renewed (and learnt its pin lapsed, DESIGN §6) or
// is gone before the history it had pinned goes. A fresh node collects at once.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { createLogger } from '@powerstore/shared/log.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { PIN_LEASE_MS, PinTable } from '@powerstore/shared/protocol/pins.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { HistRecord } from '@powerstore/shared/protocol/server.js';
import type { Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import { DiskStore } from '../store/disk-store.js';
import { GarbageCollector } from './gc.js';

const params = clusterParams(1);
const keys = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
const log = createLogger('gc-restart-test', 'silent');
const reg = regId('b', 'k');

/** Writes 1 and 2 of b/k with lc = 2: write 1 is garbage unless pinned. */
async function twoWrites(store: DiskStore): Promise<Timestamp> {
  let prev: Timestamp | null = null;
  let first: Timestamp | null = null;
  for (const num of [1, 2]) {
    const w = prepareWrite(keys, params, reg, prev, 'aaaaaaaaaaaaaaaa', num, [], Buffer.from('{}'));
    const rec: HistRecord = { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: [], meta: Buffer.from('{}'), blocks: Buffer.alloc(0), blockSize: 8, fragLen: 0 };
    await store.putHist(reg, rec, { inline: Buffer.alloc(0) });
    await store.setLc(reg, 'b', 'k', w.candidate);
    first ??= w.candidate.ts;
    prev = w.candidate.ts;
  }
  return first!;
}

/**
 * Turns of the event loop until `done()`, for at most `ms` of wall time: a
 * collection commits and then waits for a real WAL sync in the thread pool,
 * which takes as long as the disk does (not a number of turns).
 */
const until = async (done: () => boolean, ms = 10_000): Promise<void> => {
  for (const end = Date.now() + ms; !done() && Date.now() < end;) await new Promise((r) => setImmediate(r));
};

const turns = async (n = 20): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('garbage collection after a node restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-gc-restart-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('waits one pin lease before collecting what reads of the previous run may have pinned', async () => {
    const path = join(dir, 'n0');
    const before = DiskStore.open(path, params.S);
    const w1 = await twoWrites(before);
    before.close();
    mock.timers.enable({ apis: ['setTimeout'] });
    const store = DiskStore.open(path, params.S); // the restart
    const gc = new GarbageCollector(store, new PinTable(), log);
    try {
      gc.scheduleAll();
      gc.schedule(reg);
      await turns();
      assert.equal(gc.dropped, 0, 'nothing collected during the first lease');
      assert.ok(store.hist(reg, w1));
      mock.timers.tick(PIN_LEASE_MS - 1);
      await turns();
      assert.equal(gc.dropped, 0);
      mock.timers.tick(1);
      await until(() => gc.dropped > 0);
      assert.equal(gc.dropped, 1, 'collected once the lease is over');
      assert.equal(store.hist(reg, w1), undefined);
    } finally {
      mock.timers.reset();
      gc.stop();
      store.close();
    }
  });

  it('a fresh node (no history at start) collects at once', async () => {
    const store = DiskStore.open(join(dir, 'n1'), params.S);
    const gc = new GarbageCollector(store, new PinTable(), log);
    try {
      const w1 = await twoWrites(store);
      gc.schedule(reg);
      await until(() => gc.dropped > 0);
      assert.equal(gc.dropped, 1);
      assert.equal(store.hist(reg, w1), undefined);
    } finally {
      gc.stop();
      store.close();
    }
  });
});
