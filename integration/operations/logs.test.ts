// Logs an operator can use (issue 13, item 5; the operations review's §3):
// one JSON access line per request, a node going down or coming back at warn,
// an unsupported request at info without a stack, and nothing but JSON lines.

import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { sendRaw, signV4 } from '../harness/raw.js';

interface Line {
  level: number;
  msg: string;
  [k: string]: unknown;
}

describe('gateway logs', () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster({ env: { POWERSTORE_LOG_LEVEL: 'info' } });
  });
  after(() => tc.dispose());

  const lines = (): Line[] => readFileSync(join(tc.dir, 'logs', 'gateway.log'), 'utf8').trimEnd().split('\n').map((l, i) => {
    try {
      return JSON.parse(l) as Line;
    } catch {
      throw new Error(`gateway.log line ${i + 1} is not JSON: ${l}`);
    }
  });

  async function waitFor(what: string, pred: (l: Line) => boolean, ms = 20_000): Promise<Line> {
    const until = Date.now() + ms;
    for (;;) {
      const hit = lines().find(pred);
      if (hit) return hit;
      if (Date.now() > until) assert.fail(`no log line: ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('one access line per request: who, what, status, bytes in and out, time, error code', { timeout: 60_000 }, async () => {
    await tc.s3.send(new CreateBucketCommand({ Bucket: 'logged' }));
    const put = await tc.s3.send(new PutObjectCommand({ Bucket: 'logged', Key: 'a/b.txt', Body: Buffer.alloc(5000, 1) }));
    const got = await tc.s3.send(new GetObjectCommand({ Bucket: 'logged', Key: 'a/b.txt' }));
    await got.Body!.transformToByteArray();
    await assert.rejects(tc.s3.send(new GetObjectCommand({ Bucket: 'logged', Key: 'missing' })));
    const putLine = await waitFor('PUT access', (l) => l.access === true && l.method === 'PUT' && l.key === 'a/b.txt');
    assert.equal(putLine.level, 30);
    assert.equal(putLine.msg, 'request');
    assert.equal(putLine.bucket, 'logged');
    assert.equal(putLine.user, tc.cluster.credentials.user);
    assert.equal(putLine.status, 200);
    assert.equal(putLine.requestId, put.$metadata.requestId);
    assert.ok((putLine.bytesIn as number) > 5000 && (putLine.bytesOut as number) > 0);
    assert.equal(typeof putLine.ms, 'number');
    assert.equal(typeof putLine.time, 'number');
    const getLine = await waitFor('GET access', (l) => l.access === true && l.method === 'GET' && l.key === 'a/b.txt');
    assert.ok((getLine.bytesOut as number) > 5000);
    const missing = await waitFor('404 access', (l) => l.access === true && l.key === 'missing');
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 'NoSuchKey');
  });

  it('an unsupported request is one info line, without a stack', { timeout: 60_000 }, async () => {
    const port = Number(new URL(tc.cluster.endpoint).port);
    const creds = { accessKey: tc.cluster.credentials.accessKey, secretKey: tc.cluster.credentials.secretKey, region: tc.cluster.region };
    const target = '/logged?analytics&id=x';
    const r = await sendRaw(port, 'GET', target, signV4(`127.0.0.1:${port}`, { method: 'GET', target }, creds).headers);
    assert.equal(r?.status, 501);
    const line = await waitFor('not implemented', (l) => l.msg === 'not implemented');
    assert.equal(line.level, 30);
    assert.ok(!JSON.stringify(line).includes('stack'));
    assert.ok(!lines().some((l) => l.level >= 50), 'no error lines');
  });

  it('a node going down and coming back: a warn line each', { timeout: 90_000 }, async () => {
    await tc.cluster.killNode(2);
    const down = await waitFor('node 2 down', (l) => l.msg === 'storage node 2 does not answer');
    assert.equal(down.level, 40);
    await tc.cluster.startNode(2);
    const back = await waitFor('node 2 back', (l) => typeof l.msg === 'string' && l.msg.startsWith('storage node 2 answers again after'));
    assert.equal(back.level, 40);
    // And every line of the log, start to end, is JSON (lines() throws otherwise).
    assert.ok(lines().length > 5);
  });
});
