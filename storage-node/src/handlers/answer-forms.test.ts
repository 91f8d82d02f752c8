// A real node answers a batch entry in the binary form when the entry asks
// for it (batch.ts, binary-answers.ts), and in JSON otherwise, as to a
// gateway older than that form; both say the same thing.

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { AUTH_HEADER, BODY_HASH_HEADER, signRequest } from '@powerstore/shared/node-auth.js';
import { BATCH_PATH, decodeAnswers, encodeBatch, type BatchEntry } from '@powerstore/shared/protocol/wire/batch.js';
import { parseCandAnswerBinary, parseFilterAnswerBinary, parseTsAnswerBinary } from '@powerstore/shared/protocol/wire/binary-answers.js';
import {
  encodeCompleteReq, encodeFilterReq, encodeRefBody, parseCandAnswer, parseFilterAnswer, parseTsAnswer, PATHS,
} from '@powerstore/shared/protocol/wire/node-messages.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { startTestNode, type TestNode } from '../testing/test-node.js';
import { storeBody } from '../testing/store-bodies.js';

describe('a node answers in the form a batch entry asks for', () => {
  const params = clusterParams(1);
  const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
  const key0 = keyring.nodeKey(0, 0)!;
  const ref = { ns: 'b', key: 'k' };
  let node: TestNode;

  before(async () => {
    node = await startTestNode({ keys: keyring.nodeKeyring(0), S: params.S, dir: mkdtempSync(join(tmpdir(), 'ps-forms-')), inlineMax: 4096, maxFragmentBytes: 1 << 20 });
  });
  after(() => node.close());

  const batch = async (entries: BatchEntry[]): Promise<Buffer[]> => {
    const body = encodeBatch(entries);
    const hash = createHash('sha256').update(body).digest('hex');
    const res = await request(`http://127.0.0.1:${node.port}${BATCH_PATH}`, {
      method: 'POST', body, headers: { [AUTH_HEADER]: signRequest(key0, 0, 'POST', BATCH_PATH, hash), [BODY_HASH_HEADER]: hash },
    });
    assert.equal(res.statusCode, 200);
    const answers = decodeAnswers(Buffer.from(await res.body.arrayBuffer()), entries.length);
    for (const a of answers) assert.equal(a.status, 200, a.payload.toString());
    return answers.map((a) => a.payload);
  };
  const json = (b: Buffer): unknown => JSON.parse(b.toString('utf8'));

  it('store, complete, clock, collect and filter: binary where asked, JSON where not, the same answer', async () => {
    const { body: store, frag, w } = storeBody(keyring, params, ref.key, randomBytes(300), 7, 64, '{"size":600}');
    // The same store twice (the second is a duplicate): one answer in each form.
    const [s1, s2] = await batch([{ route: PATHS.store, payload: store, binary: true }, { route: PATHS.store, payload: store }]);
    assert.equal(parseTsAnswerBinary(s1!), null);
    assert.deepEqual(json(s2!), { lc: null });

    const complete = encodeCompleteReq(ref, w.candidate);
    const [c1, c2] = await batch([{ route: PATHS.complete, payload: complete, binary: true }, { route: PATHS.complete, payload: complete }]);
    assert.deepEqual(parseTsAnswerBinary(c1!), w.candidate.ts);
    assert.deepEqual(parseTsAnswer(json(c2!)), w.candidate.ts);

    const ask = encodeRefBody(ref, { readId: 'r1' });
    const filter = encodeFilterReq(ref, 'r1', [w.candidate]);
    const [k1, k2, l1, l2, f1, f2] = await batch([
      { route: PATHS.clock, payload: encodeRefBody(ref), binary: true }, { route: PATHS.clock, payload: encodeRefBody(ref) },
      { route: PATHS.collect, payload: ask, binary: true }, { route: PATHS.collect, payload: ask },
      { route: PATHS.filter, payload: filter, binary: true }, { route: PATHS.filter, payload: filter },
    ]);
    assert.deepEqual(parseTsAnswerBinary(k1!), w.candidate.ts);
    assert.deepEqual(parseTsAnswer(json(k2!)), w.candidate.ts);
    assert.deepEqual(parseCandAnswerBinary(l1!, params.S), w.candidate);
    assert.deepEqual(parseCandAnswer(json(l2!), params.S), w.candidate);
    const viaBinary = parseFilterAnswerBinary(f1!, params.S);
    assert.deepEqual(viaBinary, parseFilterAnswer(json(f2!), params.S));
    assert.deepEqual(viaBinary.cc, w.cc);
    assert.deepEqual(viaBinary.fragment, frag, 'node 0 sends a small fragment along');
    assert.ok(f1!.length < f2!.length);
  });
});
