// The node refuses what it must refuse, and a refusal changes nothing:
// malformed JSON, oversized bodies, broken store framing, a fragment that
// does not match cc, a store message with a bad MAC, and a conflicting
// second store for an existing ts. Also: staging left by a crash is swept.

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { sha256 } from '@powerstore/shared/hash.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { AUTH_HEADER, BODY_HASH_HEADER, signRequest, STREAM_BODY } from '@powerstore/shared/node-auth.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN, frameHeader } from '@powerstore/shared/protocol/wire/frames.js';
import { encodeCommit, encodeOpen } from '@powerstore/shared/protocol/wire/node-messages.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { DiskStore } from './store/disk-store.js';
import { startTestNode, type TestNode } from './testing/test-node.js';

describe('storage node refusals', () => {
  const params = clusterParams(1);
  const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
  const key0 = keyring.nodeKey(0, 0)!;
  const dir = mkdtempSync(join(tmpdir(), 'ps-node-'));
  let store: DiskStore;
  let node: TestNode;
  let url: string;
  const ref = { ns: 'b', key: 'k' };
  const reg = regId(ref.ns, ref.key);

  const post = async (path: string, body: Buffer, opts: { stream?: boolean } = {}) => {
    const hash = opts.stream ? STREAM_BODY : createHash('sha256').update(body).digest('hex');
    const res = await request(`${url}${path}`, {
      method: 'POST', body,
      headers: { [AUTH_HEADER]: signRequest(key0, 0, 'POST', path, hash), [BODY_HASH_HEADER]: hash },
    });
    const text = await res.body.text();
    return { status: res.statusCode, text };
  };

  /** A store request body for `frag` under a fresh write; `mutate` may break it. */
  const storeBody = (frag: Buffer, mutate: (m: ReturnType<typeof prepareWrite>) => Buffer = (w) => encodeCommit({
    ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: w.cc, meta: w.meta,
  })) => {
    const h = new BlockHasher(64, 'sha256');
    h.update(frag);
    const cc = Array.from({ length: params.S }, () => sha256(Buffer.alloc(0)));
    cc[0] = sha256(h.finish());
    const w = prepareWrite(keyring, params, reg, null, 'aaaaaaaaaaaaaaaa', Math.floor(Math.random() * 1e9), cc, Buffer.from('{}'));
    const open = encodeOpen(ref, 64, { hash: 'sha256' });
    const commit = mutate(w);
    return {
      w,
      body: Buffer.concat([frameHeader(FRAME_OPEN, open.length), open, frameHeader(FRAME_DATA, frag.length), frag, frameHeader(FRAME_COMMIT, commit.length), commit]),
    };
  };

  before(async () => {
    // Leftovers of a crash: a staging file and an unreferenced fragment file.
    const pre = DiskStore.open(join(dir, 'store'), params.S);
    pre.close();
    writeFileSync(join(dir, 'store', 'staging', 'leftover.tmp'), 'x');
    rmSync(join(dir, 'store', 'frags', 'zz'), { recursive: true, force: true });
    const fragDir = join(dir, 'store', 'frags', 'zz');
    (await import('node:fs')).mkdirSync(fragDir, { recursive: true });
    writeFileSync(join(fragDir, 'orphan'), 'x');

    node = await startTestNode({ keys: keyring.nodeKeyring(0), S: params.S, dir, inlineMax: 100, maxFragmentBytes: 1 << 20 });
    store = node.store;
    url = `http://127.0.0.1:${node.port}`;
  });
  after(() => node.close());

  it('swept staging and unreferenced fragment files at start', () => {
    assert.deepEqual(readdirSync(join(dir, 'store', 'staging')), []);
    assert.deepEqual(readdirSync(join(dir, 'store', 'frags', 'zz')), []);
  });

  it('refuses malformed and oversized requests with 4xx', async () => {
    assert.equal((await post('/v1/clock', Buffer.from('{not json'))).status, 400);
    assert.equal((await post('/v1/clock', Buffer.from('{"ns":"b"}'))).status, 400);
    assert.equal((await post('/v1/collect', Buffer.from(JSON.stringify({ ns: 'b', key: 'x'.repeat(5000), readId: 'r' })))).status, 400);
    assert.equal((await post('/v1/clock', Buffer.alloc(5 * 1024 * 1024, 0x20))).status, 413);
    assert.equal((await post('/v1/nope', Buffer.from('{}'))).status, 404);
    assert.equal(store.counts().registers, 0);
  });

  it('stores a correct fragment, and refuses broken ones without changing anything', async () => {
    const good = storeBody(randomBytes(300));
    assert.equal((await post('/v1/store', good.body, { stream: true })).status, 200);
    assert.equal(store.counts().histEntries, 1);

    // Fragment bytes that do not match cc[0].
    const bad = storeBody(randomBytes(300));
    const tampered = Buffer.from(bad.body);
    tampered[5 + encodeOpen(ref, 64, { hash: 'sha256' }).length + 5 + 10]! ^= 0xff;
    const r1 = await post('/v1/store', tampered, { stream: true });
    assert.equal(r1.status, 409);
    assert.match(r1.text, /does not match cc/);

    // A store message whose MAC for this node is wrong.
    const forged = storeBody(randomBytes(100), (w) => {
      const vec = [...w.candidate.vec];
      vec[0] = Buffer.alloc(32, 1);
      return encodeCommit({ ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec, cc: w.cc, meta: w.meta });
    });
    assert.equal((await post('/v1/store', forged.body, { stream: true })).status, 409);

    // Broken framing: stream ends before the store message.
    const cut = good.body.subarray(0, good.body.length - 20);
    assert.equal((await post('/v1/store', cut, { stream: true })).status, 400);

    // A second, different store for an existing ts.
    const conflict = storeBody(randomBytes(300), (w) => encodeCommit({
      ts: good.w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: w.cc, meta: w.meta,
    }));
    assert.equal((await post('/v1/store', conflict.body, { stream: true })).status, 409);

    assert.equal(store.counts().histEntries, 1, 'no refused store left a history entry');
    assert.deepEqual(readdirSync(join(dir, 'store', 'staging')), [], 'no staging left behind');
  });

  it('refuses a store without authentication', async () => {
    const good = storeBody(randomBytes(10));
    const res = await request(`${url}/v1/store`, { method: 'POST', body: good.body });
    assert.equal(res.statusCode, 401);
    await res.body.dump();
  });
});
