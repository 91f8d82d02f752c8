// Mid-size fragments on a real node server (store-handler.ts, staging.ts,
// segments.ts): a fragment above the inline limit and within segmentMax is
// appended to a segment (no file of its own) and served as stored; a larger
// one still gets a file; a corrupt copy in a segment is healed by a
// duplicate store into a good copy elsewhere, its neighbours untouched.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { encodeBlocksReq } from '@powerstore/shared/protocol/wire/node-messages.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import type { Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import { DIRECT_ALIGN } from '../direct-io.js';
import { parseLocation } from './segments.js';
import { signedPost, startTestNode, type TestNode } from '../../testing/test-node.js';
import { storeBody } from '../../testing/store-bodies.js';

const BLOCK = 64;

describe('mid-size fragments in segments, on a node', () => {
  const params = clusterParams(1);
  const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
  const key0 = keyring.nodeKey(0, 0)!;
  let node: TestNode;
  let url: string;
  let op = 0;

  const post = (path: string, body: Buffer, stream = false) => signedPost(url, key0, path, body, stream);
  const write = (key: string, frag: Buffer) => storeBody(keyring, params, key, frag, ++op, BLOCK);
  const served = async (ref: { ns: string; key: string }, ts: Timestamp, len: number): Promise<Buffer> => {
    const r = await post('/v1/blocks', encodeBlocksReq({ ref, ts, from: 0, to: Math.ceil(len / BLOCK), withList: false }));
    assert.equal(r.status, 200);
    return r.body;
  };
  const fragFiles = (): string[] => {
    const frags = join(node.store.dir, 'frags');
    return readdirSync(frags).flatMap((sub) => readdirSync(join(frags, sub)));
  };

  before(async () => {
    node = await startTestNode({ keys: keyring.nodeKeyring(0), S: params.S, inlineMax: 100, segmentMax: 8192, segmentBytes: 16384 });
    url = `http://127.0.0.1:${node.port}`;
  });
  after(() => node.close());

  it('a fragment above the inline limit goes into a segment, aligned, and is served as stored; a larger one gets a file', async () => {
    const a = write('a', randomBytes(1000));
    const b = write('b', randomBytes(5000));
    const big = write('big', randomBytes(9000));
    for (const w of [a, b, big]) assert.equal((await post('/v1/store', w.body, true)).status, 200);
    const at = [a, b].map((w) => parseLocation(node.store.hist(w.reg, w.ts)!.fragFile!));
    assert.ok(at[0] && at[1], 'both in a segment');
    assert.equal(at[0].seg, at[1].seg, 'the same one');
    assert.equal(Math.abs(at[1].offset - at[0].offset), DIRECT_ALIGN, 'the first padded to the alignment, the next after it');
    // Stores answered: their appends are settled, so the segment is free for the collector once it takes no more.
    const c = write('c', randomBytes(8000));
    assert.equal((await post('/v1/store', c.body, true)).status, 200);
    const cAt = parseLocation(node.store.hist(c.reg, c.ts)!.fragFile!)!;
    assert.notEqual(cAt.seg, at[0].seg, 'a full segment made way for the next');
    assert.equal(node.store.segments.isActive(at[0].seg), false);
    assert.equal(node.store.segments.isActive(cAt.seg), true);
    assert.equal(parseLocation(node.store.hist(big.reg, big.ts)!.fragFile!), null, 'above segmentMax: a file of its own');
    assert.equal(fragFiles().length, 1, 'one fragment file: the large one');
    for (const w of [a, b, big]) assert.ok((await served(w.ref, w.ts, w.frag.length)).equals(w.frag), `${w.ref.key} served as stored`);
  });

  it('a flipped byte in a segment: the heal puts a good copy elsewhere and moves the row; the neighbour is untouched', async () => {
    const bad = write('bad', randomBytes(3000));
    const next = write('next', randomBytes(3000));
    for (const w of [bad, next]) assert.equal((await post('/v1/store', w.body, true)).status, 200);
    const before = node.store.hist(bad.reg, bad.ts)!;
    const at = node.store.fragAt(before.fragFile!);
    const fd = openSync(at.path, 'r+');
    writeSync(fd, Buffer.from([bad.frag[1500]! ^ 0x01]), 0, 1, at.offset + 1500);
    closeSync(fd);
    assert.ok(!(await served(bad.ref, bad.ts, 3000)).equals(bad.frag), 'the node now serves a corrupt copy');

    assert.equal((await post('/v1/store', bad.body, true)).status, 200, 'the heal (an identical store) is acked');
    const after = node.store.hist(bad.reg, bad.ts)!;
    assert.notEqual(after.fragFile, before.fragFile, 'the row names the good copy');
    for (const f of ['nbar', 'd', 'meta', 'blocks'] as const) assert.ok(after[f].equals(before[f]), `${f} unchanged`);
    assert.ok((await served(bad.ref, bad.ts, 3000)).equals(bad.frag));
    assert.ok((await served(next.ref, next.ts, 3000)).equals(next.frag), 'the neighbour in the segment is untouched');

    // An intact copy in a segment is left where it is by a duplicate store.
    const where = node.store.hist(next.reg, next.ts)!.fragFile;
    assert.equal((await post('/v1/store', next.body, true)).status, 200);
    assert.equal(node.store.hist(next.reg, next.ts)!.fragFile, where);
  });
});
