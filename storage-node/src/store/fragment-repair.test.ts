// Healing a corrupt local copy (fragment-repair.ts) on a real node server:
// a duplicate store (the identical store message, as a heal sends it)
// replaces a fragment that rotted on disk (flipped byte, truncated, deleted
// file; an inline fragment in the database), leaves an intact copy alone,
// and never lets a store with different metadata overwrite anything.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { computeD, makeVec, nonceHash } from '@powerstore/shared/protocol/candidate.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN, frameHeader } from '@powerstore/shared/protocol/wire/frames.js';
import { encodeBlocksReq, encodeCommit, encodeOpen } from '@powerstore/shared/protocol/wire/node-messages.js';
import { WRITE_BLOCK_HASH } from '@powerstore/shared/erasure/block-hash.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import type { Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import { DiskStore } from './disk-store.js';
import { startTestNode, type TestNode } from '../testing/test-node.js';
import { signedPost } from '../testing/test-node.js';
import { storeBody } from '../testing/store-bodies.js';

const BLOCK = 64;

describe('a heal replaces a corrupt local copy, and nothing else', () => {
  const params = clusterParams(1);
  const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
  const key0 = keyring.nodeKey(0, 0)!;
  const dir = mkdtempSync(join(tmpdir(), 'ps-repair-'));
  let store: DiskStore;
  let node: TestNode;
  let url: string;
  let op = 0;

  const post = (path: string, body: Buffer, stream = false) => signedPost(url, key0, path, body, stream);

  /** A write of `frag` as node 0's fragment of register `key`: its store request body, reusable as a heal. */
  const write = (key: string, frag: Buffer, meta = '{}') => storeBody(keyring, params, key, frag, ++op, BLOCK, meta);

  /** The node's fragment as it serves it (no list). */
  const served = async (ref: { ns: string; key: string }, ts: Timestamp, len: number): Promise<Buffer> => {
    const r = await post('/v1/blocks', encodeBlocksReq({ ref, ts, from: 0, to: Math.ceil(len / BLOCK), withList: false }));
    assert.equal(r.status, 200);
    return r.body;
  };

  const fileOf = (reg: Buffer, ts: Timestamp): string => join(dir, 'store', store.hist(reg, ts)!.fragFile!);

  before(async () => {
    node = await startTestNode({ keys: keyring.nodeKeyring(0), S: params.S, dir, inlineMax: 100, maxFragmentBytes: 1 << 20 });
    store = node.store;
    url = `http://127.0.0.1:${node.port}`;
  });
  after(() => node.close());

  it('a flipped byte in a fragment file: the heal rewrites the file, metadata untouched', async () => {
    const w = write('flip', randomBytes(1000));
    assert.equal((await post('/v1/store', w.body, true)).status, 200);
    const before = store.hist(w.reg, w.ts)!;
    const path = fileOf(w.reg, w.ts);
    const bad = readFileSync(path);
    bad[500]! ^= 0x01;
    writeFileSync(path, bad);
    assert.ok(!(await served(w.ref, w.ts, 1000)).equals(w.frag), 'the node now serves a corrupt copy');

    assert.equal((await post('/v1/store', w.body, true)).status, 200, 'the heal (an identical store) is acked');
    assert.ok(readFileSync(path).equals(w.frag), 'the file holds the good bytes again, at the same path');
    assert.ok((await served(w.ref, w.ts, 1000)).equals(w.frag));
    const after = store.hist(w.reg, w.ts)!;
    for (const f of ['nbar', 'd', 'meta', 'blocks'] as const) assert.ok(after[f].equals(before[f]), `${f} unchanged`);
    assert.deepEqual(after.vec, before.vec);
    assert.equal(after.fragFile, before.fragFile);
    assert.equal(store.counts().histEntries, 1, 'one entry, no new one');
  });

  it('a truncated and a deleted fragment file are restored too', async () => {
    const t = write('truncated', randomBytes(700));
    const d = write('deleted', randomBytes(400));
    for (const w of [t, d]) assert.equal((await post('/v1/store', w.body, true)).status, 200);
    truncateSync(fileOf(t.reg, t.ts), 300);
    rmSync(fileOf(d.reg, d.ts));
    for (const w of [t, d]) {
      assert.equal((await post('/v1/store', w.body, true)).status, 200);
      assert.ok(readFileSync(fileOf(w.reg, w.ts)).equals(w.frag), `${w.ref.key}: restored`);
    }
  });

  it('an inline fragment corrupted in the database is replaced', async () => {
    const w = write('inline', randomBytes(60));
    assert.equal((await post('/v1/store', w.body, true)).status, 200);
    assert.equal(store.hist(w.reg, w.ts)!.fragFile, null, 'small: inline');
    const bad = Buffer.from(w.frag);
    bad[3]! ^= 0xff;
    store.db.prepare('UPDATE hist SET frag_inline = ? WHERE reg = ?').run(bad, w.reg);
    assert.ok(!store.histOnDisk(w.reg, w.ts)!.fragInline!.equals(w.frag));
    assert.equal((await post('/v1/store', w.body, true)).status, 200);
    assert.ok(store.histOnDisk(w.reg, w.ts)!.fragInline!.equals(w.frag), 'the database holds the good copy again');
    assert.ok(store.hist(w.reg, w.ts)!.fragInline!.equals(w.frag), 'and so does what reads are answered from');
  });

  it('an intact copy is left alone by a duplicate store', async () => {
    const w = write('intact', randomBytes(900));
    assert.equal((await post('/v1/store', w.body, true)).status, 200);
    const path = fileOf(w.reg, w.ts);
    const ino = statSync(path).ino;
    assert.equal((await post('/v1/store', w.body, true)).status, 200);
    assert.equal(statSync(path).ino, ino, 'same file: not rewritten');
  });

  it('a store with different metadata for an existing ts is refused, even over a corrupt copy', async () => {
    const w = write('conflict', randomBytes(800));
    assert.equal((await post('/v1/store', w.body, true)).status, 200);
    const path = fileOf(w.reg, w.ts);
    const bad = readFileSync(path);
    bad[0]! ^= 0x01;
    writeFileSync(path, bad);
    // Same ts and fragment, other meta (so another D), properly MACed by a
    // writer: everything checks out but write-once.
    const meta = Buffer.from('{"other":true}');
    const d = computeD(w.w.cc, meta);
    const nbar = nonceHash(randomBytes(32));
    const vec = makeVec(keyring, params, w.reg, w.ts, nbar, d);
    const commit = encodeCommit({ ts: w.ts, nbar, d, vec, cc: w.w.cc, meta });
    const open = encodeOpen(w.ref, BLOCK, { hash: WRITE_BLOCK_HASH });
    const body = Buffer.concat([frameHeader(FRAME_OPEN, open.length), open, frameHeader(FRAME_DATA, w.frag.length), w.frag, frameHeader(FRAME_COMMIT, commit.length), commit]);
    const r = await post('/v1/store', body, true);
    assert.equal(r.status, 409);
    assert.match(r.body.toString(), /Hist entry exists with different content/);
    assert.ok(readFileSync(path).equals(bad), 'nothing replaced by a conflicting store');
    assert.equal(store.hist(w.reg, w.ts)!.meta.toString(), '{}');
  });
});
