// Rounds per operation, read off the gateway's own metrics, with honest
// nodes and with a real node that corrupts the vec entries of every
// candidate it reports (the gateway re-signs: reads stay at two rounds), and
// a real node that corrupts every block it serves (caught, attributed, read
// around).

import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { adminGet, metric, startTestCluster, type TestCluster } from '../harness/cluster.js';

async function roundsPerOp(tc: TestCluster, work: () => Promise<void>): Promise<{ write: number; read: number }> {
  const e = tc.cluster.endpoint;
  const before = {
    wr: await metric(e, 'powerstore_protocol_rounds_total', { op: 'write' }),
    wo: await metric(e, 'powerstore_protocol_operations_total', { op: 'write' }),
    rr: await metric(e, 'powerstore_protocol_rounds_total', { op: 'read' }),
    ro: await metric(e, 'powerstore_protocol_operations_total', { op: 'read' }),
  };
  await work();
  const wr = (await metric(e, 'powerstore_protocol_rounds_total', { op: 'write' })) - before.wr;
  const wo = (await metric(e, 'powerstore_protocol_operations_total', { op: 'write' })) - before.wo;
  const rr = (await metric(e, 'powerstore_protocol_rounds_total', { op: 'read' })) - before.rr;
  const ro = (await metric(e, 'powerstore_protocol_operations_total', { op: 'read' })) - before.ro;
  return { write: wr / wo, read: rr / ro };
}

async function workload(tc: TestCluster, bucket: string, prefix = 'k'): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const body = randomBytes(1000 + i * 100_000);
    await tc.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${i}`, Body: body }));
    const r = await tc.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}${i}` }));
    assert.ok(Buffer.from(await r.Body!.transformToByteArray()).equals(body));
  }
}

for (const fault of [null, 'corrupt-vec'] as const) {
  describe(`rounds with ${fault ? `node 3 in fault mode ${fault}` : 'honest nodes'}`, () => {
    // Two rounds a write (store, complete): the measured overwrites have this
    // gateway's own clock hints, and the new keys' guesses that they are empty hold.
    it('a write takes 2 rounds and a read 2', async () => {
      const tc = await startTestCluster({ t: 1, ...(fault ? { faulty: new Map([[3, [fault]]]) } : {}) });
      try {
        await tc.s3.send(new CreateBucketCommand({ Bucket: 'rounds' }));
        await workload(tc, 'rounds'); // warms the bucket cache
        const r = await roundsPerOp(tc, async () => {
          await workload(tc, 'rounds');
          await workload(tc, 'rounds', 'new');
        });
        assert.equal(r.write, 2);
        assert.equal(r.read, 2);
      } finally {
        await tc.dispose();
      }
    });
  });
}

describe('a node that corrupts every block it serves', () => {
  it('is read around, and the evidence names it and only it', async () => {
    const tc = await startTestCluster({ t: 1, blockSize: 64 * 1024, faulty: new Map([[0, ['corrupt']]]) });
    try {
      await tc.s3.send(new CreateBucketCommand({ Bucket: 'corrupt' }));
      await workload(tc, 'corrupt');
      const e = tc.cluster.endpoint;
      assert.ok((await metric(e, 'powerstore_node_evidence_total', { node: '0', kind: 'corrupt-block' })) > 0);
      for (const n of ['1', '2', '3']) assert.equal(await metric(e, 'powerstore_node_evidence_total', { node: n }), 0);
      const health = (await (await adminGet(e, '/_powerstore/health')).json()) as { nodes: Array<{ index: number; evidence: Record<string, number> }> };
      assert.ok((health.nodes[0]!.evidence['corrupt-block'] ?? 0) > 0, 'health shows the evidence');
    } finally {
      await tc.dispose();
    }
  });
});
