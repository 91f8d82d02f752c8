// TLS between the gateway and the nodes (security review F7, probe T9): a
// --tls local cluster runs its nodes on HTTPS with a certificate from a CA
// made for them, the gateway reaches them over https:// trusting only that
// CA, a node answers nothing in clear, and objects go in and out through
// the SDK as usual.

import { GetObjectCommand, PutObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { nodeKeyState } from '../../gateway/src/cli/key-delivery.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

describe('--tls local cluster: nodes on HTTPS', { timeout: 300_000 }, () => {
  let tc: TestCluster;
  before(async () => {
    tc = await startTestCluster({ t: 1, tls: true });
  });
  after(async () => {
    await tc?.dispose();
  });

  it('lists https:// node URLs and the nodes\' CA in the gateway config', () => {
    const cfg = JSON.parse(readFileSync(join(tc.dir, 'gateway.json'), 'utf8')) as { nodes: string[]; nodeCa?: string };
    assert.equal(cfg.nodes.length, 4);
    for (const u of cfg.nodes) assert.match(u, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(cfg.nodeCa, 'nodeCa set');
    assert.match(readFileSync(cfg.nodeCa, 'utf8'), /BEGIN CERTIFICATE/);
  });

  it('a node answers over TLS to a client trusting the CA, and to nothing in clear', async () => {
    const cfg = JSON.parse(readFileSync(join(tc.dir, 'gateway.json'), 'utf8')) as { nodes: string[]; nodeCa: string };
    const url = cfg.nodes[0]!;
    const trusting = new Agent({ connect: { ca: readFileSync(cfg.nodeCa) } });
    try {
      const res = await request(`${url}/healthz`, { dispatcher: trusting });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(await res.body.json(), { node: 0, ok: true });
    } finally {
      await trusting.close();
    }
    await assert.rejects(request(`${url.replace('https:', 'http:')}/healthz`, { headersTimeout: 10_000 }), 'plain HTTP to the node');
    await assert.rejects(request(`${url}/healthz`), 'a client that does not trust the nodes\' CA');
  });

  it('key delivery (keys rotate) reaches an https:// node through a dispatcher trusting the CA', async () => {
    const cfg = JSON.parse(readFileSync(join(tc.dir, 'gateway.json'), 'utf8')) as { nodes: string[]; nodeCa: string; secrets: Record<string, string> };
    const ring = Object.assign(new SecretWriterKeyring(new Map([[0, Buffer.from(cfg.secrets['0']!, 'hex')]]), 0), { epochs: [0] });
    const trusting = new Agent({ connect: { ca: readFileSync(cfg.nodeCa) } });
    try {
      assert.deepEqual(await nodeKeyState(cfg.nodes[1]!, 1, ring, 10_000, trusting), { node: 1, current: 0, epochs: [0] });
    } finally {
      await trusting.close();
    }
  });

  it('PUT and GET through the SDK (fragments cross to the nodes over TLS)', async () => {
    await tc.s3.send(new CreateBucketCommand({ Bucket: 'tls-nodes' }));
    const body = randomBytes(3 * 1024 * 1024 + 17);
    await tc.s3.send(new PutObjectCommand({ Bucket: 'tls-nodes', Key: 'big.bin', Body: body }));
    const got = await tc.s3.send(new GetObjectCommand({ Bucket: 'tls-nodes', Key: 'big.bin' }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(body));
  });
});
