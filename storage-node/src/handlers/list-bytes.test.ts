// Sizes bounded by bytes at the node (protocol review finding 5): a listing
// page stops at LIST_PAGE_BYTES (marked byteLimited, and continuing after it
// lists the rest), and a completing store of 10,000 parts (S3's maximum) is
// taken at t = 1, 2 and 3.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { sha256 } from '@powerstore/shared/hash.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { MAX_BATCH_BYTES } from '@powerstore/shared/protocol/wire/batch.js';
import { prepareWrite, type PreparedWrite } from '@powerstore/shared/protocol/client.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN } from '@powerstore/shared/protocol/wire/frames.js';
import { encodeCommit, encodeCompleteReq, encodeOpen, parseTsAnswer } from '@powerstore/shared/protocol/wire/node-messages.js';
import { parseListAnswer } from '@powerstore/shared/protocol/wire/list-answer.js';
import { clusterParams, type ClusterParams } from '@powerstore/shared/protocol/params.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { PartRef } from '@powerstore/shared/protocol/server.js';
import { LIST_PAGE_BYTES, listEntryWeight, MAX_PARTS } from '@powerstore/shared/protocol/wire/sizes.js';
import { multipartMeta } from '@powerstore/shared/protocol/testing/multipart-meta.js';
import type { NodeContext } from '../node-context.js';
import { handleComplete, handleList } from './rpc-handlers.js';
import { handleStore } from './store-handler.js';
import { frame, NodeContexts } from '../testing/node-contexts.js';

const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
const BLOCK = 64;
const open: NodeContexts[] = [];
after(() => open.forEach((n) => n.close()));

let op = 0;
function writeFor(params: ClusterParams, ref: { ns: string; key: string }, frag: Buffer, meta: Buffer): PreparedWrite {
  const h = new BlockHasher(BLOCK, 'sha256');
  h.update(frag);
  const cc = Array.from({ length: params.S }, (_, i) => sha256(Buffer.from(`other ${i}`)));
  cc[0] = sha256(h.finish());
  return prepareWrite(keyring, params, regId(ref.ns, ref.key), null, 'aaaaaaaaaaaaaaaa', ++op, cc, meta);
}

async function store(ctx: NodeContext, ref: { ns: string; key: string }, frag: Buffer, w: PreparedWrite, parts?: PartRef[]): Promise<Buffer> {
  const commit = { ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: w.cc, meta: w.meta, ...(parts ? { parts } : {}) };
  const frames = [frame(FRAME_OPEN, encodeOpen(ref, BLOCK, { hash: 'sha256' }))];
  if (frag.length) frames.push(frame(FRAME_DATA, frag));
  frames.push(frame(FRAME_COMMIT, encodeCommit(commit)));
  return handleStore(ctx, [Buffer.concat(frames)]);
}

/** A completed write of `meta` at `ref` (stored and completed on this node). */
async function written(ctx: NodeContext, params: ClusterParams, ref: { ns: string; key: string }, meta: Buffer): Promise<void> {
  const frag = randomBytes(16);
  const w = writeFor(params, ref, frag, meta);
  await store(ctx, ref, frag, w);
  await handleComplete(ctx, JSON.parse(encodeCompleteReq(ref, w.candidate).toString('utf8')));
}

describe('handleList: a page stops at its byte limit', () => {
  it('100-part objects: pages are cut by bytes, marked byteLimited, and together list every key once', async () => {
    const params = clusterParams(1);
    const nodes = new NodeContexts(keyring, params.S);
    open.push(nodes);
    const ctx = nodes.node(0);
    const meta = multipartMeta(params.S, 100);
    const keys = Array.from({ length: 150 }, (_, i) => `obj/${String(i).padStart(4, '0')}`);
    for (const key of keys) await written(ctx, params, { ns: 'b', key }, meta);

    const seen: string[] = [];
    let afterKey: string | null = null;
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 20, 'listing terminates');
      const raw = await handleList(ctx, { ns: 'b', prefix: '', after: afterKey, skipPrefix: false, limit: 1000 });
      assert.ok(raw.length + 6 <= MAX_BATCH_BYTES);
      const page = parseListAnswer(raw, params.S);
      const weight = page.entries.reduce((n, e) => n + listEntryWeight(e.key, e.meta), 0);
      assert.ok(page.entries.every((e) => e.meta?.equals(meta)), 'every entry described');
      seen.push(...page.entries.map((e) => e.key));
      assert.ok(weight < LIST_PAGE_BYTES + meta.length + 100, `page ${pages} weighs ${weight}: not cut by bytes`);
      if (!page.truncated) {
        assert.ok(pages >= 2, 'the 150 entries (10 MB) took several pages');
        assert.equal(page.byteLimited, undefined);
        break;
      }
      // Full by bytes: at least LIST_PAGE_BYTES, and less than that plus one entry.
      assert.equal(page.byteLimited, true);
      assert.ok(weight >= LIST_PAGE_BYTES && weight < LIST_PAGE_BYTES + meta.length + 100, `weight ${weight}`);
      afterKey = page.entries[page.entries.length - 1]!.key;
    }
    assert.deepEqual(seen, keys);
  });

  it('a page that ends exactly where the keys end is not truncated', async () => {
    const params = clusterParams(1);
    const nodes = new NodeContexts(keyring, params.S);
    open.push(nodes);
    const ctx = nodes.node(0);
    const meta = multipartMeta(params.S, 10);
    for (const key of ['a', 'b', 'c']) await written(ctx, params, { ns: 'b', key }, meta);
    const page = parseListAnswer((await handleList(ctx, { ns: 'b', prefix: '', after: null, skipPrefix: false, limit: 3 })), params.S);
    assert.deepEqual(page.entries.map((e) => e.key), ['a', 'b', 'c']);
    assert.equal(page.truncated, false);
    assert.equal(page.byteLimited, undefined);
    const two = parseListAnswer((await handleList(ctx, { ns: 'b', prefix: '', after: null, skipPrefix: false, limit: 2 })), params.S);
    assert.equal(two.truncated, true);
    assert.equal(two.byteLimited, undefined, 'full by count');
  });
});

describe('handleStore: a completing store of 10,000 parts', () => {
  for (const t of [1, 2, 3]) {
    it(`t=${t}: is taken (its commit, meta and parts list, is over the old 4 MiB cap)`, async () => {
      const params = clusterParams(t);
      const nodes = new NodeContexts(keyring, params.S);
      open.push(nodes);
      const ctx = nodes.node(0);
      // One part held here; the 10,000 references all name it (the node checks it holds each).
      const partRef = { ns: 'mpp/b/upload', key: '00001' };
      const frag = randomBytes(32);
      const pw = writeFor(params, partRef, frag, Buffer.from('{"v":1}'));
      await store(ctx, partRef, frag, pw);
      const parts = Array.from({ length: MAX_PARTS }, () => ({ ...partRef, ts: pw.candidate.ts }));
      const ref = { ns: 'b', key: 'big' };
      const w = writeFor(params, ref, Buffer.alloc(0), multipartMeta(params.S, MAX_PARTS));
      const ans = await store(ctx, ref, Buffer.alloc(0), w, parts);
      assert.equal(parseTsAnswer(JSON.parse(ans.toString('utf8'))), null);
      const h = ctx.store.hist(regId(ref.ns, ref.key), w.candidate.ts);
      assert.ok(h, 'the completing store is in Hist');
      assert.ok(h.meta.length > 4 * 1024 * 1024);
    });
  }
});
