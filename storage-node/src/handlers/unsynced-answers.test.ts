// A transaction is in the database before its WAL sync returns (group-commit.ts).
// In that window nothing may be revealed: an answer or a refusal computed from
// the database leaves only once the sync that covers it has returned. Each test
// holds the store's sync open by hand (the store's private syncWal replaced on
// the instance) and checks that the node's HTTP answer waits for it.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { sha256 } from '@powerstore/shared/hash.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN, frameHeader } from '@powerstore/shared/protocol/wire/frames.js';
import { encodeBlocksReq, encodeCommit, encodeEntryReq, encodeOpen, encodeRefBody, parseEntryAnswer, parseTsAnswer, PATHS } from '@powerstore/shared/protocol/wire/node-messages.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { compareTs } from '@powerstore/shared/protocol/timestamp.js';
import { until } from '@powerstore/shared/testing/until.js';
import type { DiskStore } from '../store/disk-store.js';
import { signedPost, startTestNode, type TestNode } from '../testing/test-node.js';

const params = clusterParams(1);
const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
const key0 = keyring.nodeKey(0, 0)!;
const ref = { ns: 'b', key: 'k' };
const reg = regId(ref.ns, ref.key);
let op = 1;

/** Whether p settles within ms. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setTimeout(r, ms));
  return done;
}

describe('a node answers nothing its unsynced commits show', () => {
  let node: TestNode;
  let store: DiskStore;
  let url: string;
  /** While set, the store's syncs wait for it to be called. */
  let hold: { readonly released: Promise<void>; release: () => void } | null = null;

  const post = (path: string, body: Buffer, stream = false) => signedPost(url, key0, path, body, stream);

  const holdSyncs = (): void => {
    let release = (): void => undefined;
    const released = new Promise<void>((r) => (release = r));
    hold = { released, release };
  };

  before(async () => {
    node = await startTestNode({ keys: keyring.nodeKeyring(0), S: params.S });
    store = node.store;
    const s = store as unknown as { syncWal: () => Promise<void> };
    const real = s.syncWal.bind(store);
    s.syncWal = async () => {
      if (hold) await hold.released;
      await real();
    };
    url = `http://127.0.0.1:${node.port}`;
  });
  after(() => {
    hold?.release();
    node.close();
  });

  it('a clock answer that would show an lc committed but not synced waits for the sync (the lc is pending until then)', async () => {
    const c = prepareWrite(keyring, params, reg, null, 'aaaaaaaaaaaaaaaa', op++, [], Buffer.from('{}')).candidate;
    holdSyncs();
    const setting = store.setLc(reg, ref.ns, ref.key, c);
    await new Promise((r) => setImmediate(r));
    assert.equal(store.committer.durable() !== null, true, 'committed, its sync held');
    const answer = post(PATHS.clock, encodeRefBody(ref));
    assert.equal(await settlesWithin(answer, 300), false, 'no answer while the sync is held');
    hold!.release();
    const a = await answer;
    assert.equal(a.status, 200);
    assert.equal(compareTs(parseTsAnswer(JSON.parse(a.body.toString('utf8')))!, c.ts), 0, 'then it shows the lc');
    await setting;
    hold = null;
  });

  /** A store request for a fresh write of `frag` (node 0's whole fragment). */
  const storeRequest = (frag: Buffer) => {
    const h = new BlockHasher(64, 'sha256');
    h.update(frag);
    const cc = Array.from({ length: params.S }, () => sha256(Buffer.alloc(0)));
    cc[0] = sha256(h.finish());
    const w = prepareWrite(keyring, params, reg, null, 'bbbbbbbbbbbbbbbb', op++, cc, Buffer.from('{}'));
    const open = encodeOpen(ref, 64, { hash: 'sha256' });
    const commit = encodeCommit({ ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: w.cc, meta: w.meta });
    const body = Buffer.concat([frameHeader(FRAME_OPEN, open.length), open, frameHeader(FRAME_DATA, frag.length), frag, frameHeader(FRAME_COMMIT, commit.length), commit]);
    return { ts: w.candidate.ts, body };
  };

  /** Posts the store with syncs held; resolves once its entry is committed (its ack still held). */
  const storeHeld = async (frag: Buffer) => {
    const { ts, body } = storeRequest(frag);
    holdSyncs();
    const storing = post(PATHS.store, body, true);
    // Up to 1 s was not always enough on a loaded machine.
    await until('the store is committed', () => store.hist(reg, ts) !== undefined, 20_000, 10);
    assert.ok(store.hist(reg, ts), 'committed');
    return { ts, storing };
  };

  it('an entry answer (any JSON answer) showing a committed, unsynced store waits for the sync', async () => {
    const { ts, storing } = await storeHeld(randomBytes(200));
    const answer = post(PATHS.entry, encodeEntryReq({ ref, ts }));
    assert.equal(await settlesWithin(answer, 300), false, 'no answer while the sync is held');
    assert.equal(await settlesWithin(storing, 0), false, 'nor the store\'s ack');
    hold!.release();
    assert.equal((await storing).status, 200);
    const a = await answer;
    assert.equal(a.status, 200);
    assert.equal(compareTs(parseEntryAnswer(JSON.parse(a.body.toString('utf8')), params.S)!.ts, ts), 0, 'then it shows the entry');
    hold = null;
  });

  it('blocks of a stored fragment are not served before its commit is synced', async () => {
    const frag = randomBytes(200);
    const { ts, storing } = await storeHeld(frag);
    const blocks = post(PATHS.blocks, encodeBlocksReq({ ref, ts, from: 0, to: 3, withList: false }));
    assert.equal(await settlesWithin(blocks, 300), false, 'no blocks while the sync is held');
    hold!.release();
    assert.equal((await storing).status, 200);
    const got = await blocks;
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(frag));
    hold = null;
  });
});
