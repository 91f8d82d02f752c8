// A node that drips its batch answers cannot pin the gateway (protocol
// review finding 7): a caller whose signal aborts gets its rejection at
// once, though its message went out in a batch; a batch request has a total
// deadline (undici's bodyTimeout is only an idle timeout), and is cut as
// soon as every caller in it has gone.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { until } from '@powerstore/shared/testing/until.js';
import { RemoteNode } from './remote-node.js';
import { MAX_BATCHES_IN_FLIGHT, NodeSaturatedError, RpcBatcher } from './rpc-batcher.js';

describe('batched calls to a node that drips its answer', () => {
  let server: Server;
  let url: string;
  /** When each batch request's connection closed, relative to its arrival. */
  const closedAfter: number[] = [];

  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const arrived = Date.now();
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(1 << 20) });
      const drip = setInterval(() => res.write(Buffer.alloc(1)), 100);
      res.on('close', () => {
        clearInterval(drip);
        closedAfter.push(Date.now() - arrived);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const node = (requestTimeoutMs: number): RemoteNode =>
    new RemoteNode({ index: 0, url, keys: new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0), S: 4, requestTimeoutMs });

  it("rejects a call as soon as its caller's signal aborts, and the batch request goes with its last caller", async () => {
    const n = node(30_000);
    closedAfter.length = 0;
    const ctl = new AbortController();
    const started = Date.now();
    const call = n.clock({ ns: 'b', key: 'k' }, ctl.signal);
    setTimeout(() => ctl.abort(new Error('caller gone')), 200);
    await assert.rejects(call, /caller gone/);
    assert.ok(Date.now() - started < 1000, `rejected after ${Date.now() - started} ms`);
    // The only caller left: the batch request is cut, not held for its 30 s.
    // The server sees the close when it gets to it: waited for, where 20 tries of 50 ms gave up on a loaded machine.
    await until('the batch request is closed', () => closedAfter.length > 0, 10_000, 50);
    assert.equal(closedAfter.length, 1, 'the batch request was closed');
    assert.ok(closedAfter[0]! < 1500, `closed after ${closedAfter[0]} ms`);
    await n.close();
  });

  it('ends a batch whose answer keeps dripping at its total deadline', async () => {
    const n = node(800);
    closedAfter.length = 0;
    const started = Date.now();
    await assert.rejects(n.clock({ ns: 'b', key: 'k' }, new AbortController().signal));
    assert.ok(Date.now() - started < 2000, `rejected after ${Date.now() - started} ms (the drip never idles 800 ms)`);
    await n.close();
  });
});

describe('a node that answers no batch', () => {
  it(`takes no more messages once ${MAX_BATCHES_IN_FLIGHT} batches are unanswered: they fail at once`, async () => {
    const cut: AbortSignal[] = [];
    // Every message sent at once (no waiting behind unanswered batches: rpc-batcher.test.ts).
    const b = new RpcBatcher(0, (_entries, signal) => {
      cut.push(signal);
      return new Promise(() => undefined);
    }, { sendingBatches: Infinity });
    const callers = Array.from({ length: MAX_BATCHES_IN_FLIGHT }, () => new AbortController());
    for (const c of callers) {
      b.call('/v1/clock', Buffer.from('{}'), c.signal).catch(() => undefined);
      await new Promise((r) => setImmediate(r)); // one batch each
    }
    assert.equal(cut.length, MAX_BATCHES_IN_FLIGHT);
    await assert.rejects(b.call('/v1/clock', Buffer.from('{}'), new AbortController().signal), NodeSaturatedError);
    // Callers that give up cut their batches (nothing stays pinned).
    for (const c of callers) c.abort(new Error('gone'));
    assert.ok(cut.every((s) => s.aborted));
  });
});
