// The HTTP node client against real node servers (in this process, on real
// disks): the full write/read path over the wire, request authentication,
// and what a node refuses.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { createCoder } from '@powerstore/shared/erasure/ronomon-coder.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { createLogger } from '@powerstore/shared/log.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { newWriterId } from '@powerstore/shared/protocol/timestamp.js';
import { DiskStore } from '../../../storage-node/src/store/disk-store.js';
import { NodeMetrics } from '../../../storage-node/src/metrics.js';
import { createNodeServer } from '../../../storage-node/src/server.js';
import type { ProtocolContext } from '../protocol/context.js';
import { get, put } from '../protocol/testing/ops.js';
import { RemoteNode } from './remote-node.js';
import { AskOrder } from '../protocol/ask-order.js';
import { StripePool } from '../protocol/stripes/stripe-pool.js';
import { PinTable } from '@powerstore/shared/protocol/pins.js';
import { FrameDecoder } from '@powerstore/shared/protocol/wire/frames.js';
import { fixture, ts, write } from '@powerstore/shared/protocol/testing/fixture.js';

describe('remote nodes over HTTP', () => {
  const params = clusterParams(1);
  const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
  const dir = mkdtempSync(join(tmpdir(), 'ps-remote-'));
  const servers: Server[] = [];
  const stores: DiskStore[] = [];
  const nodes: RemoteNode[] = [];
  let ctx: ProtocolContext;

  before(async () => {
    for (let i = 0; i < params.S; i++) {
      const store = DiskStore.open(join(dir, `n${i}`), params.S);
      stores.push(store);
      const server = createNodeServer({
        index: i, S: params.S, keys: keyring.nodeKeyring(i), store, log: createLogger(`n${i}`, 'silent'),
        metrics: new NodeMetrics(i), inlineMax: 1024, maxFragmentBytes: 1 << 30,
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      const port = (server.address() as { port: number }).port;
      nodes.push(new RemoteNode({ index: i, url: `http://127.0.0.1:${port}`, keys: keyring, S: params.S, requestTimeoutMs: 5000 }));
    }
    let op = 0;
    ctx = {
      params, keys: keyring, nodes, coder: createCoder(params.k, params.S - params.k), writerId: newWriterId(),
      nextOp: () => ++op, blockSize: 4096, blockHash: 'blake3', stripes: new StripePool(params, 4096), maxPendingBytes: 1 << 24, timeouts: { rpcMs: 2000, dataIdleMs: 2000 },
      askOrder: new AskOrder(),
      observer: { round: () => undefined, operation: () => undefined, evidence: (e) => assert.fail(`unexpected evidence ${JSON.stringify(e)}`), nodeTrouble: () => undefined },
    };
  });

  after(async () => {
    for (const n of nodes) await n.close();
    for (const s of servers) s.close();
    for (const s of stores) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes and reads small (inline) and large (file) fragments', async () => {
    for (const size of [0, 10, 1000, 100_000]) {
      const body = randomBytes(size);
      await put(ctx, `obj-${size}`, body);
      assert.deepEqual(await get(ctx, `obj-${size}`), body);
    }
    const h = await nodes[0]!.health(new AbortController().signal);
    assert.equal(h.histEntries, 4);
  });

  it('refuses unauthenticated, replayed and badly signed requests', async () => {
    const url = `${nodes[0]!.url}/v1/clock`;
    const body = JSON.stringify({ ns: 'b', key: 'k' });
    const noAuth = await request(url, { method: 'POST', body });
    assert.equal(noAuth.statusCode, 401);
    await noAuth.body.dump();

    const hash = (await import('node:crypto')).createHash('sha256').update(body).digest('hex');
    const headers = nodes[0]!.authHeaders('/v1/clock', hash);
    const ok = await request(url, { method: 'POST', body, headers });
    assert.equal(ok.statusCode, 200);
    await ok.body.dump();
    const replay = await request(url, { method: 'POST', body, headers });
    assert.equal(replay.statusCode, 401, 'a replayed request is refused');
    await replay.body.dump();

    const other = nodes[1]!.authHeaders('/v1/clock', hash);
    const wrongKey = await request(url, { method: 'POST', body, headers: other });
    assert.equal(wrongKey.statusCode, 401, "another node's key does not authenticate here");
    await wrongKey.body.dump();
  });
});

// A read's releases wait and go to a node together (pin-releases.ts): a node
// pays per message, and a release was a message of its own per read.
describe('remote node: pin releases', () => {
  const params = clusterParams(1);
  const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
  const dir = mkdtempSync(join(tmpdir(), 'ps-releases-'));
  const store = DiskStore.open(join(dir, 'n0'), params.S);
  const pins = new PinTable();
  const metrics = new NodeMetrics(0);
  const server = createNodeServer({
    index: 0, S: params.S, keys: keyring.nodeKeyring(0), store, log: createLogger('n0', 'silent'),
    metrics, inlineMax: 1024, maxFragmentBytes: 1 << 30, pins,
  });
  let url = '';
  const never = new AbortController().signal;
  const pinMessages = async () => (await metrics.messages.get()).values.find((v) => v.labels.route === '/v1/pin')?.value ?? 0;

  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    server.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('forty reads released at once: one pin message, every pin gone', async () => {
    const node = new RemoteNode({ index: 0, url, keys: keyring, S: params.S, requestTimeoutMs: 5000 });
    const reads = Array.from({ length: 40 }, (_, i) => ({ ref: { ns: 'b', key: `k${i % 7}` }, readId: `read-${i}` }));
    for (const r of reads) await node.collect(r.ref, r.readId, never);
    assert.equal(pins.size, 40);
    const before = await pinMessages();
    const answers = await Promise.all(reads.map((r) => node.pin(r.ref, r.readId, 'release', null, never)));
    assert.deepEqual(answers, Array(40).fill(true));
    assert.equal((await pinMessages()) - before, 1);
    assert.equal(pins.size, 0);
    await node.close();
  });

  it('releases still waiting go before the client closes', async () => {
    const node = new RemoteNode({ index: 0, url, keys: keyring, S: params.S, requestTimeoutMs: 5000 });
    const ref = { ns: 'b', key: 'closing' };
    for (const id of ['c1', 'c2']) await node.collect(ref, id, never);
    assert.equal(pins.size, 2);
    const answers = ['c1', 'c2'].map((id) => node.pin(ref, id, 'release', null, never));
    await node.close();
    assert.deepEqual(await Promise.all(answers), [true, true]);
    assert.equal(pins.size, 0);
  });
});

describe('remote node: a store whose fragment goes in a request of its own', () => {
  it('sends the frames with a content-length and no chunked encoding, the fragment bytes unchanged', async () => {
    let seen: { headers: IncomingHttpHeaders; body: Buffer } | null = null;
    const server = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        seen = { headers: req.headers, body: Buffer.concat(parts) };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"lc":null}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const keys = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
    const n = new RemoteNode({ index: 0, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, keys, S: 4, requestTimeoutMs: 5000 });
    const f = fixture(1);
    const w = write(f, ts(f, 1));
    const fragment = randomBytes(100_000);
    try {
      await n.storeWhole({ ns: 'b', key: 'k' }, 4096, 'sha256', fragment, w.commit(), new AbortController().signal);
    } finally {
      await n.close();
      server.close();
    }
    const got = seen as { headers: IncomingHttpHeaders; body: Buffer } | null;
    assert.ok(got, 'the node was asked');
    assert.equal(got.headers['transfer-encoding'], undefined, 'no chunked encoding');
    assert.equal(got.headers['content-length'], String(got.body.length));
    const events = new FrameDecoder(1 << 20).push(got.body);
    assert.deepEqual(events.map((e) => e.type), ['open', 'data', 'commit']);
    const data = events.find((e) => e.type === 'data');
    assert.ok(data && data.type === 'data' && data.chunk.equals(fragment), 'the fragment as it was');
  });
});
