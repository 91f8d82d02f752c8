// The admin endpoints (security review F11): /_powerstore/health and
// /_powerstore/metrics reveal nothing without `Authorization: Bearer <admin
// token>`, health reports are shared for about a second (a flood does not
// fan out to every node), and /_powerstore/live stays an anonymous,
// node-free liveness probe. Over a simulated cluster, as app.test.ts.

import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { Express } from 'express';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import { cachedFor } from './admin/cached.js';
import { testApp } from './testing/test-app.js';
import { simCluster } from './protocol/testing/sim-cluster.js';

const HOST = 'gateway.test';
const ADMIN_TOKEN = 'admin-token-for-the-handler-tests-0123456789';

let app: Express;
let close: () => Promise<void>;
/** health() calls that reached node 0. */
let healthCalls = 0;

before(() => {
  const cluster = simCluster(1);
  const ctx = cluster.gateway({ blockSize: 4096 });
  cluster.wrap(0, (inner) => new Proxy(inner, {
    get(target, p) {
      if (p === 'health') return (...a: Parameters<NodeApi['health']>) => (healthCalls++, target.health(...a));
      const v = Reflect.get(target, p) as unknown;
      return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
    },
  }));
  const built = testApp(ctx, [{ accessKey: 'admin-test-key', secretKey: 'admin-test-secret-0123', user: 'alice' }], { adminToken: ADMIN_TOKEN });
  app = built.app;
  close = built.close;
});

after(() => close());

describe('F11: admin endpoints', () => {
  it('anonymous health and metrics: 401 JSON that reveals nothing', async () => {
    for (const path of ['/_powerstore/health', '/_powerstore/metrics']) {
      const before = healthCalls;
      const res = await request(app).get(path).set('host', HOST);
      assert.equal(res.status, 401, path);
      assert.match(res.headers['content-type'] ?? '', /json/);
      assert.match(res.headers['www-authenticate'] ?? '', /^Bearer/);
      assert.doesNotMatch(res.text, /nodes|url|writer|powerstore_|latency/i, `${path} leaks: ${res.text}`);
      assert.equal(healthCalls, before, 'no node asked');
    }
  });

  it('a wrong token, another scheme or a token with a suffix: 401', async () => {
    for (const auth of [`Bearer ${ADMIN_TOKEN.slice(0, -1)}x`, `Bearer ${ADMIN_TOKEN}x`, `Basic ${ADMIN_TOKEN}`, ADMIN_TOKEN, 'Bearer ']) {
      assert.equal((await request(app).get('/_powerstore/health').set('host', HOST).set('authorization', auth)).status, 401, auth);
      assert.equal((await request(app).get('/_powerstore/metrics').set('host', HOST).set('authorization', auth)).status, 401, auth);
    }
  });

  it('with the admin token: health JSON per node and metrics text', async () => {
    const health = await request(app).get('/_powerstore/health').set('host', HOST).set('authorization', `Bearer ${ADMIN_TOKEN}`);
    assert.equal(health.status, 200);
    assert.deepEqual((health.body as { nodes: { index: number }[] }).nodes.map((n) => n.index), [0, 1, 2, 3]);
    const metrics = await request(app).get('/_powerstore/metrics').set('host', HOST).set('authorization', `bearer ${ADMIN_TOKEN}`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /powerstore_s3_requests_total/);
  });

  it('health is computed at most about once a second: a burst asks each node once', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const before = healthCalls;
    const started = Date.now();
    const burst = await Promise.all(Array.from({ length: 20 }, () => request(app).get('/_powerstore/health').set('host', HOST).set('authorization', `Bearer ${ADMIN_TOKEN}`)));
    const ms = Date.now() - started;
    assert.ok(burst.every((r) => r.status === 200));
    // Once for a burst under a second (the usual case); a loaded machine may stretch it, and each further second may ask again.
    const calls = healthCalls - before;
    assert.ok(calls >= 1 && calls <= 1 + Math.floor(ms / 1000), `${calls} health calls in ${ms} ms`);
  });

  it('/_powerstore/live is anonymous, says only ok, and asks no node', async () => {
    const before = healthCalls;
    const res = await request(app).get('/_powerstore/live').set('host', HOST);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { ok: true });
    assert.equal(healthCalls, before);
  });
});

describe('F11: without a configured admin token', () => {
  it('health and metrics answer no one, whatever is sent', async () => {
    const built = testApp(simCluster(1).gateway(), [{ accessKey: 'k', secretKey: 's', user: 'u' }]);
    try {
      for (const auth of [undefined, 'Bearer ', `Bearer ${ADMIN_TOKEN}`]) {
        let r = request(built.app).get('/_powerstore/health').set('host', HOST);
        if (auth !== undefined) r = r.set('authorization', auth);
        assert.equal((await r).status, 401);
      }
      assert.equal((await request(built.app).get('/_powerstore/live').set('host', HOST)).status, 200);
    } finally {
      await built.close();
    }
  });
});

describe('cachedFor', () => {
  it('one computation in flight, shared for ttl after it settles; a failure is not kept', async () => {
    let t = 0;
    let calls = 0;
    let fail = false;
    const f = cachedFor(1000, async () => {
      calls++;
      if (fail) throw new Error('down');
      return calls;
    }, () => t);
    assert.deepEqual(await Promise.all([f(), f(), f()]), [1, 1, 1]);
    t = 999;
    assert.equal(await f(), 1);
    t = 1000;
    fail = true;
    await assert.rejects(f(), /down/);
    fail = false;
    assert.equal(await f(), 3, 'the failure was not cached');
  });
});
