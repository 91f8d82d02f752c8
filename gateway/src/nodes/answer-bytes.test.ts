// Batch answers bounded by bytes (protocol review findings 5 and 11): a
// correct node never sends a batch answer over the cap, however many large
// answers the batch gathered (it refuses the ones that do not fit, and the
// gateway sends each of those alone), so its answers are never evidence; a
// node whose answer is over its cap is (WireError: a batch answer over
// 33 MiB, a store answer over 64 KiB, an entry answer over the largest
// commit); and the answer bytes
// buffered from one node at once stay within a budget (NodeSaturatedError,
// never evidence).

import { Readable } from 'node:stream';
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setMaxListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { createCoder } from '@powerstore/shared/erasure/ronomon-coder.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { createLogger } from '@powerstore/shared/log.js';
import { ANSWER_TOO_LARGE, fitAnswers, MAX_BATCH_BYTES } from '@powerstore/shared/protocol/wire/batch.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { MAX_PARTS, maxCommitBytes } from '@powerstore/shared/protocol/wire/sizes.js';
import { fixture, ts, write } from '@powerstore/shared/protocol/testing/fixture.js';
import { multipartMeta } from '@powerstore/shared/protocol/testing/multipart-meta.js';
import { newWriterId } from '@powerstore/shared/protocol/timestamp.js';
import { WireError } from '@powerstore/shared/protocol/wire/wire.js';
import { DiskStore } from '../../../storage-node/src/store/disk-store.js';
import { NodeMetrics } from '../../../storage-node/src/metrics.js';
import { createNodeServer } from '../../../storage-node/src/server.js';
import type { ProtocolContext } from '../protocol/context.js';
import { ref } from '../protocol/testing/ops.js';
import { writeRegister } from '../protocol/writer.js';
import { AnswerBudget, MAX_BATCH_ANSWER } from './answer-budget.js';
import { RemoteNode } from './remote-node.js';
import { NodeSaturatedError } from './rpc-batcher.js';
import { AskOrder } from '../protocol/ask-order.js';
import { StripePool } from '../protocol/stripes/stripe-pool.js';

const signal = new AbortController().signal;
setMaxListeners(0, signal);

describe('fitAnswers (a node)', () => {
  it('refuses the largest answers until the rest fit, and keeps the order', () => {
    const big = (n: number) => ({ status: 200, payload: Buffer.alloc(n) });
    const answers = [big(10), big(20 << 20), big(5), big(15 << 20), big(12 << 20)];
    const out = fitAnswers(answers);
    assert.equal(out.length, answers.length);
    assert.ok(out.reduce((n, a) => n + 6 + a.payload.length, 0) <= MAX_BATCH_BYTES);
    assert.deepEqual(out.map((a) => a.status), [200, 413, 200, 200, 200]);
    assert.match(out[1]!.payload.toString(), new RegExp(ANSWER_TOO_LARGE));
    assert.equal(fitAnswers([big(1), big(2)])[1]!.payload.length, 2, 'a batch that fits is left alone');
  });
});

describe('answers of 10,000-part objects from a real node', () => {
  const params = clusterParams(1);
  const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
  const dir = mkdtempSync(join(tmpdir(), 'ps-answer-bytes-'));
  const servers: Server[] = [];
  const stores: DiskStore[] = [];
  const nodes: RemoteNode[] = [];
  const evidence: unknown[] = [];
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
      nodes.push(new RemoteNode({ index: i, url: `http://127.0.0.1:${port}`, keys: keyring, S: params.S, requestTimeoutMs: 60_000 }));
    }
    let op = 0;
    ctx = {
      params, keys: keyring, nodes, coder: createCoder(params.k, params.S - params.k), writerId: newWriterId(),
      nextOp: () => ++op, blockSize: 4096, blockHash: 'blake3', stripes: new StripePool(params, 4096), maxPendingBytes: 1 << 24, timeouts: { rpcMs: 60_000, dataIdleMs: 60_000 },
      askOrder: new AskOrder(),
      observer: { round: () => undefined, operation: () => undefined, evidence: (e) => evidence.push(e), nodeTrouble: () => undefined },
    };
    // Three objects whose meta is a worst-case 10,000-part layout (5.8 MB each, 7.8 MB in base64).
    const meta = multipartMeta(params.S, MAX_PARTS);
    async function* empty(): AsyncIterable<Buffer> {}
    for (const key of ['a', 'b', 'c']) await writeRegister(ctx, ref(key), { body: empty(), finalize: () => meta }, 'write', signal);
  });

  after(async () => {
    for (const n of nodes) await n.close();
    for (const s of servers) s.close();
    for (const s of stores) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('five listings batched together (39 MB of answers) all succeed: none is evidence', async () => {
    const n = nodes[0]!;
    const req = (prefix: string) => ({ ns: 'bucket', prefix, after: null, skipPrefix: false, limit: 1000 });
    // Called in one turn, so they travel in one batch.
    const pages = await Promise.all(['a', 'b', 'c', '', 'b'].map((p) => n.list(req(p), signal)));
    assert.deepEqual(pages.map((p) => p.entries.map((e) => e.key)), [['a'], ['b'], ['c'], ['a'], ['b']]);
    assert.ok(pages.every((p) => p.entries[0]!.meta!.length > 5_000_000), 'each answer carries its 10,000-part meta');
    assert.equal(pages[3]!.byteLimited, true, 'the page of everything stopped at its byte limit');
    assert.deepEqual(evidence, []);
  });

  it('a node may hold only its byte budget of answers at once: over it, saturated (not evidence)', async () => {
    const port = new URL(nodes[0]!.url).port;
    const small = new RemoteNode({ index: 0, url: `http://127.0.0.1:${port}`, keys: keyring, S: params.S, requestTimeoutMs: 60_000, answerBudget: 1 << 20 });
    try {
      await assert.rejects(small.list({ ns: 'bucket', prefix: 'a', after: null, skipPrefix: false, limit: 1 }, signal), NodeSaturatedError);
      assert.ok(await small.clock(ref('a'), signal), 'small answers still go');
    } finally {
      await small.close();
    }
  });
});

describe('a batch answer over the cap', () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        // With its length, as a node sends it (a chunked answer is refused before its size counts).
        const length = (Math.floor(MAX_BATCH_ANSWER / (1 << 20)) + 1) * (1 << 20);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': length });
        const chunk = Buffer.alloc(1 << 20);
        let sent = 0;
        const more = (): void => {
          while (sent <= MAX_BATCH_ANSWER) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', more);
          }
          res.end();
        };
        more();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('is a WireError (evidence)', async () => {
    const n = new RemoteNode({ index: 0, url, keys: new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0), S: 4, requestTimeoutMs: 30_000 });
    try {
      await assert.rejects(n.clock(ref('k'), signal), (e: unknown) => e instanceof WireError && /too large/.test(e.message));
    } finally {
      await n.close();
    }
  });
});

describe('answers outside batches over their caps', () => {
  let server: Server;
  let url: string;
  before(async () => {
    // Valid JSON, only too long: a store answer of 100 KiB, an entry answer over the largest commit.
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const pad = req.url === '/v1/entry' ? maxCommitBytes(4) : 100 * 1024;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ lc: null, entry: null, pad: 'x'.repeat(pad) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('a store answer over 64 KiB and an entry answer over the largest commit are WireErrors (evidence)', async () => {
    const keys = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
    const n = new RemoteNode({ index: 0, url, keys, S: 4, requestTimeoutMs: 30_000 });
    const f = fixture(1);
    const w = write(f, ts(f, 1));
    try {
      await assert.rejects(n.storeWhole(ref('k'), 64, 'sha256', Buffer.alloc(64 * 1024), w.commit(), signal), (e: unknown) => e instanceof WireError && /too large/.test(e.message));
      await assert.rejects(n.entry(ref('k'), w.c.ts, signal), (e: unknown) => e instanceof WireError && /too large/.test(e.message));
    } finally {
      await n.close();
    }
  });
});

describe('AnswerBudget', () => {
  async function* chunks(n: number, size: number, gate?: Promise<void>): AsyncIterable<Buffer> {
    for (let i = 0; i < n; i++) {
      if (i === 1 && gate) await gate;
      yield Buffer.alloc(size);
    }
  }

  it('bounds the bytes of answers read at once, and frees them when read', async () => {
    const b = new AnswerBudget(0, 1000);
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const first = b.read(Readable.from(chunks(2, 300, gate)), 10_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(b.inUse, 300);
    await assert.rejects(b.read(Readable.from(chunks(3, 300)), 10_000), NodeSaturatedError);
    assert.equal(b.inUse, 300, 'the refused read gave its bytes back');
    open();
    assert.equal((await first).length, 600);
    assert.equal(b.inUse, 0);
    await assert.rejects(b.read(Readable.from(chunks(3, 300)), 500), (e: unknown) => e instanceof Error && e.name === 'BodyTooLargeError');
    assert.equal(b.inUse, 0);
  });
});
