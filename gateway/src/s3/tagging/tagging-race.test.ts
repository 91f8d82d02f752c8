// PutObjectTagging racing a PutObject of the same key (tagging.ts): a write
// that lands between the tagging's read and its write is never overwritten
// with the old bytes; the tagging answers 409 OperationAborted instead.

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { signV4, type Creds } from '../../../../integration/harness/raw.js';
import { BucketRegistry } from '../../buckets.js';
import { ObjectStore } from '../../objects.js';
import { override } from '../../protocol/testing/byzantine.js';
import { simCluster } from '../../protocol/testing/sim-cluster.js';
import { testApp } from '../../testing/test-app.js';
import { HOST, xmlCode } from '../testing/signed-app.js';

const creds: Creds = { accessKey: 'race-key', secretKey: 'race-secret-0123456789', region: 'us-east-1' };
const signal = new AbortController().signal;

describe('PutObjectTagging racing a PutObject', () => {
  const cl = simCluster(1);
  const { app, close } = testApp(cl.gateway({ blockSize: 4096, rpcMs: 10_000 }), [{ accessKey: creds.accessKey, secretKey: creds.secretKey, user: 'alice' }]);
  // A second gateway that reaches the nodes directly (past the wrappers below).
  const other = { ...cl.gateway({ blockSize: 4096, rpcMs: 10_000 }), nodes: [...cl.sims] };
  let armed: (() => Promise<void>) | null = null;
  let pending: Promise<void> | null = null;
  const send = (method: 'PUT' | 'GET', target: string, body?: Buffer) => {
    const s = signV4(HOST, { method, target, headers: {}, ...(body ? { body } : {}) }, creds);
    let r = request(app)[method === 'PUT' ? 'put' : 'get'](target);
    for (const [k, v] of Object.entries(s.headers)) r = r.set(k, v);
    return body ? r.send(body) : r;
  };

  before(async () => {
    // Every node's clock: once armed, the next clock round (the tagging write's
    // first round, after its read) waits for the other gateway's PutObject.
    for (let i = 0; i < cl.params.S; i++) {
      cl.wrap(i, (inner) => override(inner, {
        clock: async (r, s) => {
          if (armed) {
            pending = armed();
            armed = null;
          }
          if (pending) await pending;
          return inner.clock(r, s);
        },
      }));
    }
    assert.equal((await send('PUT', '/race')).status, 200);
    assert.equal((await send('PUT', '/race/k', Buffer.from('old bytes'))).status, 200);
  });
  after(() => close());

  it('answers 409 OperationAborted and leaves the newer object as it is', async () => {
    const ns = (await new BucketRegistry(other).get('race', signal))!.ns;
    armed = async () => {
      await new ObjectStore(other).put(ns, 'k', (async function* () {
        yield Buffer.from('new bytes');
      })(), (size, blockSize) => ({ v: 1, size, blockSize, lastModified: Date.now(), etag: 'new' }), signal);
    };
    const res = await send('PUT', '/race/k?tagging', Buffer.from('<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>'));
    assert.equal(armed, null, 'the race ran');
    assert.equal(res.status, 409, res.text);
    assert.equal(xmlCode(res.text), 'OperationAborted');
    pending = null;
    const now = (await new ObjectStore(other).head(ns, 'k', signal))!;
    assert.equal(now.meta.etag, 'new', 'the newer write stands');
    assert.equal(now.meta.tags, undefined);
    new ObjectStore(other).release(now);
    const tags = await send('GET', '/race/k?tagging');
    assert.doesNotMatch(tags.text, /<Tag>/);
  });
});
