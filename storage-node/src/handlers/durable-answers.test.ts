// "An answer never reveals state that is not yet durable" (rpc-handlers.ts,
// protocol review finding 10). Each test decides a newer lc (setLc, not
// awaited: it is pending until the next group commit) right after a request
// began, and checks that the answer shows only what was committed when the
// answer was made: a listing that showed a pending lc, and a node that then
// crashed, would leave fewer correct holders than the gateway counted.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { createLogger } from '@powerstore/shared/log.js';
import type { Candidate } from '@powerstore/shared/protocol/candidate.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import {
  encodeFilterReq, encodeRefBody, parseCandAnswer, parseFilterAnswer, parseTsAnswer,
} from '@powerstore/shared/protocol/wire/node-messages.js';
import { parseListAnswer } from '@powerstore/shared/protocol/wire/list-answer.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { PinTable } from '@powerstore/shared/protocol/pins.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { compareTs, type Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import { parseCand } from '@powerstore/shared/protocol/wire/wire.js';
import { DiskStore, type ListRow } from '../store/disk-store.js';
import { NodeMetrics } from '../metrics.js';
import type { NodeContext } from '../node-context.js';
import { handleClock, handleCollect, handleFilter, handleList } from './rpc-handlers.js';

/** A listed row's lc, parsed from the text the store keeps. */
const listedLc = (r: ListRow): Candidate => parseCand(JSON.parse(r.lcJson), clusterParams(1).S);

const NS = 'b';
const KEY = 'k';
const params = clusterParams(1);
const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
const metrics = new NodeMetrics(0);
const reg = regId(NS, KEY);
let op = 1;

const cand = (prev: Candidate | null): Candidate =>
  prepareWrite(keyring, params, reg, prev?.ts ?? null, 'aaaaaaaaaaaaaaaa', op++, [], Buffer.from('{}')).candidate;
const json = (b: Buffer): unknown => JSON.parse(b.toString('utf8'));

/** lc as committed in the database, read past the store's own view. */
function committedTs(store: DiskStore): Timestamp | null {
  const row = store.db.prepare('SELECT lc FROM regs WHERE reg = ?').get(reg) as { lc: string | null } | undefined;
  return row?.lc ? parseCand(JSON.parse(row.lc), params.S).ts : null;
}

describe('answers reveal only durable state (review finding 10)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-durable-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A node whose lc for KEY is c1 (committed); c2 is newer. */
  const node = async (name: string) => {
    const store = DiskStore.open(join(dir, name), params.S);
    const pins = new PinTable();
    const ctx: NodeContext = {
      index: 0, S: params.S, keys: keyring.nodeKeyring(0), store, log: createLogger('t', 'silent'),
      metrics, inlineMax: 1024, maxFragmentBytes: 1 << 20, pins,
    };
    const c1 = cand(null);
    await store.setLc(reg, NS, KEY, c1);
    return { ctx, store, pins, c1, c2: cand(c1) };
  };

  it('DiskStore.list shows the committed lc, not one still waiting for its commit', async () => {
    const { store, c1, c2 } = await node('store-list');
    try {
      const pending = store.setLc(reg, NS, KEY, c2);
      const rows = store.list(NS, Buffer.alloc(0), null, null, 10);
      assert.equal(compareTs(listedLc(rows[0]!).ts, c1.ts), 0, 'the listing shows c1 while c2 is not durable');
      assert.equal(compareTs(store.lc(reg)!.ts, c2.ts), 0, 'decisions still see the newest lc (lc never goes down)');
      await pending;
      assert.equal(compareTs(listedLc(store.list(NS, Buffer.alloc(0), null, null, 10)[0]!).ts, c2.ts), 0, 'then c2');
    } finally {
      store.close();
    }
  });

  it('list, collect and clock answers never show an lc that was not committed when they answered', async () => {
    const { ctx, store, c2 } = await node('handlers');
    try {
      // Each answer with what was committed at the moment it was made.
      const seen = (shown: Timestamp) => ({ shown, committed: committedTs(store) });
      const answers = {
        list: handleList(ctx, { ns: NS, prefix: '', after: null, limit: 10 })
          .then((a) => seen(parseListAnswer(a, params.S).entries[0]!.lc.ts)),
        collect: handleCollect(ctx, json(encodeRefBody({ ns: NS, key: KEY }, { readId: 'read-1' })))
          .then((a) => seen(parseCandAnswer(json(a), params.S)!.ts)),
        clock: handleClock(ctx, json(encodeRefBody({ ns: NS, key: KEY }))).then((a) => seen(parseTsAnswer(json(a))!)),
      };
      const pending = store.setLc(reg, NS, KEY, c2); // decided after the requests began, before they read
      const leaked: string[] = [];
      for (const [name, p] of Object.entries(answers)) {
        const { shown, committed } = await p;
        if (compareTs(shown, committed) > 0) leaked.push(name);
      }
      assert.deepEqual(leaked, [], 'answers that showed an lc not yet durable');
      await pending;
    } finally {
      store.close();
    }
  });

  it('a GONE answer carries an lc that is durable', async () => {
    const { ctx, store, c1, c2 } = await node('gone');
    try {
      // The read first met this node at lc c1 (its floor); an older write c0, below the floor, is not held here.
      await handleCollect(ctx, json(encodeRefBody({ ns: NS, key: KEY }, { readId: 'read-1' })));
      const c0 = prepareWrite(keyring, params, reg, null, '0000000000000000', 0, [], Buffer.from('{}')).candidate;
      assert.ok(compareTs(c0.ts, c1.ts) < 0);
      const answering = handleFilter(ctx, json(encodeFilterReq({ ns: NS, key: KEY }, 'read-1', [c0])));
      const pending = store.setLc(reg, NS, KEY, c2);
      const a = parseFilterAnswer(json(await answering), params.S);
      assert.ok(a.gone, 'GONE: c0 is below the pin floor and not held');
      assert.ok(compareTs(a.gone.ts, committedTs(store)) <= 0, 'the lc it reveals is committed');
      await pending;
    } finally {
      store.close();
    }
  });
});
