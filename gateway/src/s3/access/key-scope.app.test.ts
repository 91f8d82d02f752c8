// Per-key permissions through the real app (testApp over a simulated
// cluster), for what the integration test does not drive: CopyObject (an
// append-only key may copy to a new key, not over an existing one; a
// read-only key may not copy; a bucket-limited key may not copy from
// another bucket) and object configuration changes.

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { Express } from 'express';
import { signV4, type Creds } from '../../../../integration/harness/raw.js';
import { simCluster } from '../../protocol/testing/sim-cluster.js';
import { testApp } from '../../testing/test-app.js';
import { HOST, xmlCode, type Method } from '../testing/signed-app.js';

const key = (accessKey: string, extra: object = {}) => ({ accessKey, secretKey: `${accessKey}-secret-0123`, user: 'alice', ...extra });
const KEYS = {
  rw: key('RW1'),
  ro: key('RO1', { access: 'read-only' }),
  ao: key('AO1', { access: 'append-only' }),
  lim: key('LIM1', { buckets: ['dst-b'] }),
};

describe('per-key permissions: copies and object settings', () => {
  let app: Express;
  let close: () => Promise<void>;
  const send = (who: keyof typeof KEYS, method: Method, target: string, body?: Buffer, headers: Record<string, string> = {}) => {
    const c: Creds = { accessKey: KEYS[who].accessKey, secretKey: KEYS[who].secretKey, region: 'us-east-1' };
    const s = signV4(HOST, { method, target, headers, ...(body ? { body } : {}) }, c);
    let r = request(app)[method.toLowerCase() as 'get' | 'put' | 'head' | 'delete' | 'post'](target);
    for (const [k, v] of Object.entries(s.headers)) r = r.set(k, v);
    return body ? r.send(body) : r;
  };
  const copy = (who: keyof typeof KEYS, from: string, to: string) => send(who, 'PUT', to, undefined, { 'x-amz-copy-source': from });

  before(async () => {
    ({ app, close } = testApp(simCluster(1).gateway({ blockSize: 4096 }), Object.values(KEYS)));
    for (const b of ['src-b', 'dst-b']) assert.equal((await send('rw', 'PUT', `/${b}`)).status, 200);
    assert.equal((await send('rw', 'PUT', '/src-b/obj', Buffer.from('source'))).status, 200);
    assert.equal((await send('rw', 'PUT', '/dst-b/taken', Buffer.from('keep me'))).status, 200);
  });
  after(() => close?.());

  it('append-only copies to a new key, and is refused over an existing one (nothing changes)', async () => {
    const made = await copy('ao', '/src-b/obj', '/dst-b/fresh');
    assert.equal(made.status, 200, made.text);
    const over = await copy('ao', '/src-b/obj', '/dst-b/taken');
    assert.equal(over.status, 403, over.text);
    assert.equal(xmlCode(over.text), 'AccessDenied');
    assert.equal((await send('rw', 'GET', '/dst-b/taken')).text, 'keep me');
  });

  it('read-only may not copy', async () => {
    const r = await copy('ro', '/src-b/obj', '/dst-b/ro-copy');
    assert.equal(r.status, 403, r.text);
    assert.equal((await send('rw', 'GET', '/dst-b/ro-copy')).status, 404);
  });

  it('a bucket-limited key may not copy from a bucket outside its list', async () => {
    const r = await copy('lim', '/src-b/obj', '/dst-b/lim-copy');
    assert.equal(r.status, 403, r.text);
    assert.equal(xmlCode(r.text), 'AccessDenied');
    assert.equal((await copy('lim', '/dst-b/taken', '/dst-b/lim-copy')).status, 200);
  });

  it('append-only and read-only may not change object tags or ACLs; read-write may', async () => {
    const tagging = Buffer.from('<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>');
    for (const who of ['ao', 'ro'] as const) {
      assert.equal((await send(who, 'PUT', '/dst-b/taken?tagging', tagging)).status, 403, who);
      assert.equal((await send(who, 'PUT', '/dst-b/taken?acl', undefined, { 'x-amz-acl': 'public-read' })).status, 403, who);
      assert.equal((await send(who, 'DELETE', '/dst-b/taken?tagging')).status, 403, who);
      assert.equal((await send(who, 'GET', '/dst-b/taken?tagging')).status, 200, who);
    }
    assert.equal((await send('rw', 'PUT', '/dst-b/taken?tagging', tagging)).status, 200);
  });
});
