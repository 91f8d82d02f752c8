// The node's check of a gateway's request MAC: what signRequest makes passes
// once; a replay, another key, epoch, method, path or body hash, a time
// outside the window or before the node started, and every header that is
// not exactly signRequest's form are refused, each with its reason.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { RequestVerifier, signRequest, STREAM_BODY, type AuthVerdict } from './node-auth.js';
import type { NodeKeyring } from './keys.js';

const NOW = 1_800_000_000_000;
const key1 = randomBytes(32);
const key2 = randomBytes(32);
const keys: NodeKeyring = { node: 0, currentEpoch: 2, key: (e) => (e === 1 ? key1 : e === 2 ? key2 : undefined) };
const HASH = 'ab'.repeat(32);

function verifier(opts: { notBefore?: number } = {}): RequestVerifier {
  return new RequestVerifier(keys, { windowMs: 120_000, ...opts });
}

function reasonOf(v: AuthVerdict): string {
  return v.ok ? 'ok' : v.reason;
}

const signed = (over: { key?: Buffer; epoch?: number; time?: number } = {}): string =>
  signRequest(over.key ?? key2, over.epoch ?? 2, 'POST', '/v1/batch', HASH, over.time ?? NOW);

describe('RequestVerifier', () => {
  it('accepts a signed request once, under either epoch it holds; the same header again is a replay', () => {
    const v = verifier();
    const h = signed();
    assert.equal(reasonOf(v.verify(h, 'POST', '/v1/batch', HASH, NOW)), 'ok');
    assert.equal(reasonOf(v.verify(h, 'POST', '/v1/batch', HASH, NOW + 1)), 'replayed request');
    assert.equal(reasonOf(v.verify(signed({ key: key1, epoch: 1 }), 'POST', '/v1/batch', HASH, NOW)), 'ok');
    assert.equal(reasonOf(v.verify(signRequest(key2, 2, 'POST', '/v1/store', STREAM_BODY, NOW), 'POST', '/v1/store', STREAM_BODY, NOW)), 'ok');
  });

  it('refuses what the MAC does not cover as signed: another key, method, path or body hash', () => {
    const v = verifier();
    assert.equal(reasonOf(v.verify(signed({ key: key1 }), 'POST', '/v1/batch', HASH, NOW)), 'bad request MAC');
    assert.equal(reasonOf(v.verify(signed(), 'GET', '/v1/batch', HASH, NOW)), 'bad request MAC');
    assert.equal(reasonOf(v.verify(signed(), 'POST', '/v1/store', HASH, NOW)), 'bad request MAC');
    assert.equal(reasonOf(v.verify(signed(), 'POST', '/v1/batch', 'cd'.repeat(32), NOW)), 'bad request MAC');
    // A refused request leaves no nonce behind: the genuine one still passes.
    const h = signed();
    assert.equal(reasonOf(v.verify(h, 'POST', '/v1/store', HASH, NOW)), 'bad request MAC');
    assert.equal(reasonOf(v.verify(h, 'POST', '/v1/batch', HASH, NOW)), 'ok');
  });

  it('refuses an unknown epoch, a time outside the window and a time before the node started', () => {
    assert.equal(reasonOf(verifier().verify(signed({ epoch: 3 }), 'POST', '/v1/batch', HASH, NOW)), 'unknown key epoch 3');
    assert.equal(reasonOf(verifier().verify(signed({ time: NOW - 120_001 }), 'POST', '/v1/batch', HASH, NOW)), 'request time outside the replay window');
    assert.equal(reasonOf(verifier().verify(signed({ time: NOW + 120_001 }), 'POST', '/v1/batch', HASH, NOW)), 'request time outside the replay window');
    assert.equal(reasonOf(verifier().verify(signed({ time: NOW - 120_000 }), 'POST', '/v1/batch', HASH, NOW)), 'ok');
    assert.match(reasonOf(verifier({ notBefore: NOW }).verify(signed({ time: NOW - 1 }), 'POST', '/v1/batch', HASH, NOW)), /signed before this node started/);
  });

  it('refuses a header that is not exactly signRequest\'s form', () => {
    const h = signed();
    const [e, t, n, s] = h.split(',') as [string, string, string, string];
    const malformed = [
      '', 'garbage', `${t},${e},${n},${s}`, `${e},${t},${n}`, `${e},${t},${n},${s},x=1`, ` ${h}`, `${h} `,
      h.replace(/n=[0-9a-f]{2}/, 'n=zz'), h.replace(/n=[0-9a-f]{32}/, 'n=' + 'a'.repeat(31)), h.replace(/s=[0-9a-f]{2}/, 's=AB'),
      h.replace(/s=[0-9a-f]{64}/, 's=' + 'a'.repeat(62)), h.replace(/s=[0-9a-f]{64}/, 's=' + 'a'.repeat(66)),
      h.replace('e=2', 'e=-2'), h.replace('e=2', 'e=2.0'), h.replace(/t=\d+/, 't=99999999999999999'), h.replace(/t=\d+/, 't='),
    ];
    for (const bad of malformed) {
      const want = bad === '' ? 'missing auth header' : 'malformed auth header';
      assert.equal(reasonOf(verifier().verify(bad, 'POST', '/v1/batch', HASH, NOW)), want, bad);
    }
    assert.equal(reasonOf(verifier().verify(undefined, 'POST', '/v1/batch', HASH, NOW)), 'missing auth header');
  });

  it('keeps a nonce through the cache\'s pruning while its time is in the window', () => {
    const v = verifier();
    const h = signed();
    assert.equal(reasonOf(v.verify(h, 'POST', '/v1/batch', HASH, NOW)), 'ok');
    // Ten seconds on, the nonce cache is pruned; the nonce is still within its window: still a replay.
    assert.equal(reasonOf(v.verify(signed({ time: NOW + 10_001 }), 'POST', '/v1/batch', HASH, NOW + 10_001)), 'ok');
    assert.equal(reasonOf(v.verify(h, 'POST', '/v1/batch', HASH, NOW + 10_002)), 'replayed request');
    // Past the window the header is refused for its time, whatever the cache holds.
    assert.equal(reasonOf(v.verify(h, 'POST', '/v1/batch', HASH, NOW + 120_001)), 'request time outside the replay window');
  });
});
