// A listing page seeks to its marker (disk-store.ts, listRows): the page
// after the 49,990th key of a prefix reads about as many database pages as
// the prefix's first page. It used to pass both bounds (`key >= prefix AND
// key > marker`) to SQLite, which seeks by one and filters by the other: every
// page walked the index from the prefix's first key, and ListObjectsV2 of a
// 100,000-key bucket ran at 255 keys/s. The work is counted in read system
// calls (/proc/self/io): a count, not a time, so a busy machine cannot fail it.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { candToWire } from '@powerstore/shared/protocol/wire/wire.js';
import { DiskStore } from './disk-store.js';
import { prefixEnd } from '../handlers/rpc-handlers.js';

const params = clusterParams(1);
const keys = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
const KEYS = 50_000;
const fillKey = (i: number): string => `fill/${String(i).padStart(7, '0')}`;

/** Read system calls this process has made so far. */
function readCalls(): number {
  const m = /^syscr: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return Number(m![1]);
}

describe('a listing page', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-list-seek-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('past 50,000 keys reads about as much as the first page', () => {
    const path = join(dir, 'n0');
    let store = DiskStore.open(path, params.S);
    // Registers with an lc and no history (a listing shows them undescribed):
    // written straight into the table, 50,000 writes through the store would take minutes.
    const w = prepareWrite(keys, params, regId('b', 'x'), null, 'aaaaaaaaaaaaaaaa', 1, [], Buffer.from('{}'));
    const lc = JSON.stringify(candToWire(w.candidate));
    const insert = store.db.prepare('INSERT INTO regs (reg, ns, key, lc) VALUES (?, ?, ?, ?)');
    store.db.transaction(() => {
      for (let i = 0; i < KEYS; i++) insert.run(regId('b', fillKey(i)), 'b', Buffer.from(fillKey(i)), lc);
    })();
    store.db.close();
    store = DiskStore.open(path, params.S); // a cold cache, as after a restart

    const prefix = Buffer.from('fill/');
    const page = (marker: string | null): { keys: string[]; reads: number } => {
      const before = readCalls();
      const rows = store.list('b', prefix, marker === null ? null : Buffer.from(marker), prefixEnd(prefix), 10);
      return { keys: rows.map((r) => r.key.toString()), reads: readCalls() - before };
    };
    const first = page(null);
    const late = page(fillKey(KEYS - 11));
    assert.deepEqual(first.keys, Array.from({ length: 10 }, (_, i) => fillKey(i)));
    assert.deepEqual(late.keys, Array.from({ length: 10 }, (_, i) => fillKey(KEYS - 10 + i)));
    assert.ok(late.reads <= 3 * first.reads + 20, `the late page made ${late.reads} read calls, the first ${first.reads}`);
    // A marker below the prefix: the prefix bounds the page.
    assert.deepEqual(store.list('b', prefix, Buffer.from('a'), prefixEnd(prefix), 2).map((r) => r.key.toString()), [fillKey(0), fillKey(1)]);
    store.db.close();
  });
});
