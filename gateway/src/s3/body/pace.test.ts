// The body pace (review F3, F5): a body that stops, or trickles slower than
// the minimum rate, ends in RequestTimeout; time the consumer itself spends
// not reading does not count against the client. Upload slots: a cap per
// user, released once.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { rejectsS3, throwsS3 } from '../auth/testing/assert-s3.js';
import { DigestPool } from './digest-worker.js';
import { releasing, UploadSlots } from './upload-slots.js';
import { openBody, tooSlow } from './verified-body.js';

const digester = new DigestPool({ size: 1 });
const unsigned = { payload: { kind: 'unsigned' } as const };

/** A body that yields `chunks` with `gapMs` before each, then (if `hang`) never ends. */
function timed(chunks: Buffer[], gapMs: number, hang = false): { headers: Record<string, string>; [Symbol.asyncIterator](): AsyncGenerator<Buffer> } {
  return {
    headers: {},
    async *[Symbol.asyncIterator]() {
      for (const c of chunks) {
        await delay(gapMs);
        yield c;
      }
      if (hang) await new Promise(() => undefined);
    },
  };
}

async function drain(stream: AsyncIterable<Buffer>, pauseMs = 0): Promise<number> {
  let n = 0;
  for await (const c of stream) {
    n += c.length;
    if (pauseMs) await delay(pauseMs);
  }
  return n;
}

describe('body pace', () => {
  it('a body that sends nothing for idleMs ends in RequestTimeout, soon after', async () => {
    const pace = { idleMs: 200, minBytesPerS: 0, graceMs: 0 };
    const b = openBody(timed([Buffer.alloc(10)], 10, true), unsigned, { maxBytes: 1 << 20, digester, pace });
    const t = Date.now();
    await rejectsS3(drain(b.stream), 'RequestTimeout');
    assert.ok(Date.now() - t < 2000);
  });

  it('a body trickling below the minimum rate ends in RequestTimeout after the grace', async () => {
    const pace = { idleMs: 1000, minBytesPerS: 1000, graceMs: 300 };
    const b = openBody(timed(Array.from({ length: 50 }, () => Buffer.alloc(1)), 50), unsigned, { maxBytes: 1 << 20, digester, pace });
    await rejectsS3(drain(b.stream), 'RequestTimeout');
  });

  it('a steady body passes, and a slow consumer is not held against the client', async () => {
    const pace = { idleMs: 200, minBytesPerS: 1000, graceMs: 100 };
    const quick = openBody(timed(Array.from({ length: 20 }, () => Buffer.alloc(1000)), 20), unsigned, { maxBytes: 1 << 20, digester, pace });
    assert.equal(await drain(quick.stream), 20_000);
    // The consumer pauses 300 ms per chunk (more than idleMs): the client's bytes wait, buffered.
    const buffered = Array.from({ length: 5 }, () => Buffer.alloc(1000));
    const slowReader = openBody({ headers: {}, [Symbol.asyncIterator]: async function* () { yield* buffered; } }, unsigned, { maxBytes: 1 << 20, digester, pace });
    assert.equal(await drain(slowReader.stream, 300), 5000);
  });

  it('tooSlow: only after the grace, only below the rate, never with rate 0', () => {
    const pace = { idleMs: 1, minBytesPerS: 1000, graceMs: 1000 };
    assert.equal(tooSlow(0, 999, pace), false);
    assert.equal(tooSlow(1999, 2000, pace), true);
    assert.equal(tooSlow(2000, 2000, pace), false);
    assert.equal(tooSlow(0, 1e9, { ...pace, minBytesPerS: 0 }), false);
  });
});

describe('upload slots', () => {
  it('caps bodies per user with SlowDown; a release is counted once; users are apart', async () => {
    const slots = new UploadSlots(2);
    const r1 = slots.take('alice');
    slots.take('alice');
    throwsS3(() => slots.take('alice'), 'SlowDown');
    slots.take('bob');
    r1();
    r1();
    assert.equal(slots.count('alice'), 1);
    const r3 = slots.take('alice');
    throwsS3(() => slots.take('alice'), 'SlowDown');
    // releasing() gives the slot back when the stream fails.
    async function* fails() {
      yield 1;
      throw new Error('gone');
    }
    await assert.rejects(drainAny(releasing(fails(), r3)));
    assert.equal(slots.count('alice'), 1);
  });
});

async function drainAny(s: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of s) void _;
}

process.on('beforeExit', () => void digester.close());
