// No data source can slow a read below the others (protocol review finding
// 3): a node that drips its blocks a byte at a time, each byte just inside
// the idle timeout, or that serves every block a little late, is left
// behind for parity after a bounded grace, and a read takes about as long
// as with that node silent. Slowness is lag, never evidence.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import { ExactReader } from './exact-reader.js';
import { override } from './testing/byzantine.js';
import { get, put } from './testing/ops.js';
import { simCluster } from './testing/sim-cluster.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Node `inner` with its block streams passed through `f`. */
function serving(inner: NodeApi, f: (src: AsyncIterable<Buffer>) => AsyncIterable<Buffer>): NodeApi {
  return override(inner, { readBlocks: (...a) => f(inner.readBlocks(...a)) });
}

/** One byte every `gapMs` (each gap inside the 200 ms idle timeout of the sim gateways). */
async function* drip(src: AsyncIterable<Buffer>, gapMs: number): AsyncIterable<Buffer> {
  for await (const chunk of src) {
    for (let i = 0; i < chunk.length; i++) {
      await sleep(gapMs);
      yield chunk.subarray(i, i + 1);
    }
  }
}

/** Every 64 bytes (a block here) `delayMs` late. */
async function* late(src: AsyncIterable<Buffer>, delayMs: number): AsyncIterable<Buffer> {
  for await (const chunk of src) {
    for (let i = 0; i < chunk.length; i += 64) {
      await sleep(delayMs);
      yield chunk.subarray(i, i + 64);
    }
  }
}

/** A read of 20 stripes of 64-byte blocks through node 0 misbehaving as `f`; its time in ms. */
async function timedRead(f: (src: AsyncIterable<Buffer>) => AsyncIterable<Buffer>): Promise<number> {
  const cl = simCluster(1);
  const gw = cl.gateway({ blockSize: 64 });
  const body = randomBytes(64 * cl.params.k * 20);
  await put(gw, 'k', body);
  cl.wrap(0, (n) => serving(n, f));
  const started = Date.now();
  const got = await get(cl.gateway({ blockSize: 64 }), 'k');
  const ms = Date.now() - started;
  assert.deepEqual(got, body);
  assert.deepEqual(cl.evidence, [], 'slowness is not evidence');
  return ms;
}

describe('slow data sources', () => {
  it('a node that drips one byte just inside the idle timeout is dropped, and the read completes', async () => {
    // Byte by byte, 20 stripes would take about 190 s; the bound is one block deadline plus slack.
    const ms = await timedRead((src) => drip(src, 150));
    assert.ok(ms < 1500, `read took ${ms} ms`);
  });

  it('a node that serves every block late is left behind after a grace, not waited on per stripe', async () => {
    // 120 ms per block (inside every timeout): 20 stripes waiting on it would take 2.4 s.
    const ms = await timedRead((src) => late(src, 120));
    assert.ok(ms < 1200, `read took ${ms} ms`);
  });
});

describe('ExactReader deadlines', () => {
  it('fails a count that trickles past its deadline, though no gap reaches the idle timeout', async () => {
    async function* src(): AsyncIterable<Buffer> {
      for (;;) {
        await sleep(20);
        yield Buffer.from('x');
      }
    }
    const started = Date.now();
    await assert.rejects(new ExactReader(src(), 100).readParts(64, 200), /did not arrive in time/);
    assert.ok(Date.now() - started < 400);
    // Without a deadline the same source delivers (slowly) and the idle timeout never fires.
    assert.equal((await new ExactReader(src(), 100).read(5)).toString(), 'xxxxx');
  });
});
