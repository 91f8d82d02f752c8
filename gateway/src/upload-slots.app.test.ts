// Upload slots in the assembled app (review F3): a user's bodies over the
// cap are refused with 503 SlowDown, other users are not, and every way a
// request can end (stored, refused before its body is read, failed
// verification, empty body) gives its slot back.

import { strict as assert } from 'node:assert';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { Express } from 'express';
import { signV4, type Creds } from '../../integration/harness/raw.js';
import { testApp } from './testing/test-app.js';
import { DEFAULT_LIMITS } from './limits.js';
import { simCluster } from './protocol/testing/sim-cluster.js';
import { until } from '@powerstore/shared/testing/until.js';

const HOST = 'gateway.test';
const alice: Creds = { accessKey: 'alice-key', secretKey: 'alice-secret-0123456789', region: 'us-east-1' };
const bob: Creds = { accessKey: 'bob-key', secretKey: 'bob-secret-0123456789', region: 'us-east-1' };

let app: Express;
let close: () => Promise<void>;
let server: Server;
let port: number;

before(async () => {
  const built = testApp(simCluster(1).gateway({ blockSize: 4096 }), [{ ...alice, user: 'alice' }, { ...bob, user: 'bob' }], { limits: { ...DEFAULT_LIMITS, maxUploadsPerUser: 2 } });
  app = built.app;
  close = built.close;
  server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

after(async () => {
  server.closeAllConnections();
  server.close();
  await close();
});

function put(target: string, body: Buffer, c: Creds, headers: Record<string, string> = {}): request.Test {
  const s = signV4(HOST, { method: 'PUT', target, headers, payloadHash: 'UNSIGNED-PAYLOAD' }, c);
  let r = request(app).put(target);
  for (const [k, v] of Object.entries(s.headers)) r = r.set(k, v);
  return r.send(body);
}

/** A PUT whose body never ends (announces more than it sends); resolves once its head is out. */
function hanging(target: string, c: Creds): Promise<() => void> {
  const s = signV4(`127.0.0.1:${port}`, { method: 'PUT', target, payloadHash: 'UNSIGNED-PAYLOAD' }, c);
  return new Promise((resolve) => {
    const req = httpRequest({ port, host: '127.0.0.1', method: 'PUT', path: target, headers: { ...s.headers, 'content-length': 1 << 20 } });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(1000), () => setTimeout(() => resolve(() => req.destroy()), 100));
  });
}

describe('upload slots in the app', () => {
  it('refuses a third body of one user with SlowDown, serves another user, and frees slots however requests end', async () => {
    const mk = (c: Creds, b: string) => {
      const s = signV4(HOST, { method: 'PUT', target: `/${b}` }, c);
      let r = request(app).put(`/${b}`);
      for (const [k, v] of Object.entries(s.headers)) r = r.set(k, v);
      return r;
    };
    assert.equal((await mk(alice, 'slots-a')).status, 200);
    assert.equal((await mk(bob, 'slots-b')).status, 200);
    // Requests ending every way, more than the cap in turn: stored, empty, no such bucket, bad Content-MD5.
    for (let i = 0; i < 3; i++) {
      assert.equal((await put(`/slots-a/ok-${i}`, Buffer.from('data'), alice)).status, 200);
      assert.equal((await put(`/slots-a/empty-${i}`, Buffer.alloc(0), alice)).status, 200);
      assert.equal((await put(`/no-such-bucket/x-${i}`, Buffer.from('data'), alice)).status, 404);
      assert.equal((await put(`/slots-a/bad-${i}`, Buffer.from('data'), alice, { 'content-md5': 'AAAAAAAAAAAAAAAAAAAAAA==' })).status, 400);
    }
    const h1 = await hanging('/slots-a/h1', alice);
    const h2 = await hanging('/slots-a/h2', alice);
    // The hanging bodies take their slots when the server reads their heads, which a loaded machine may
    // not have done 100 ms after they were sent: a third body is tried until refused (never, without a cap).
    let third!: request.Response;
    await until('a third body refused', async () => (third = await put('/slots-a/third', Buffer.from('data'), alice)).status === 503, 10_000, 50);
    assert.equal(third.status, 503);
    assert.match(third.text, /<Code>SlowDown<\/Code>/);
    assert.equal((await put('/slots-b/k', Buffer.from('bob'), bob)).status, 200, 'another user is not capped');
    h1();
    h2();
    // The server sees the closes when it gets to them, not within a fixed 200 ms on a loaded machine.
    let afterClose!: request.Response;
    await until('slots of closed requests come back', async () => (afterClose = await put('/slots-a/after', Buffer.from('data'), alice)).status !== 503, 10_000, 50);
    assert.equal(afterClose.status, 200, 'slots of closed requests come back');
  });
});
