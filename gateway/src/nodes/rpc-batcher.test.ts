// Messages to a node wait while SENDING_BATCHES batches to it are unanswered
// and then go together (rpc-batcher.ts): fewer, larger batch requests under
// load, each caller still answered alone, and a slow answer holding the
// rest back HOLD_MS at most.

import { strict as assert } from 'node:assert';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import type { BatchAnswer, BatchEntry } from '@powerstore/shared/protocol/wire/batch.js';
import { HOLD_MS, LAZY_MS, RpcBatcher, SENDING_BATCHES } from './rpc-batcher.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const never = new AbortController().signal;

/** A batcher whose batches are answered by hand: each answer echoes its message. */
function manual(holdMs = 10_000, lazyMs = LAZY_MS): { b: RpcBatcher; sent: string[][]; answer: (i: number) => void } {
  const sent: string[][] = [];
  const waiting: Array<() => void> = [];
  const b = new RpcBatcher(0, (entries: readonly BatchEntry[]) => {
    sent.push(entries.map((e) => e.payload.toString()));
    return new Promise<BatchAnswer[]>((resolve) => waiting.push(() => resolve(entries.map((e) => ({ status: 200, payload: e.payload })))));
  }, { holdMs, lazyMs });
  return { b, sent, answer: (i) => waiting[i]!() };
}

describe('messages wait behind unanswered batches', () => {
  it(`while ${SENDING_BATCHES} batches are unanswered, later messages wait and then go in one batch`, async () => {
    const { b, sent, answer } = manual();
    const calls: Array<Promise<Buffer>> = [];
    for (let i = 0; i < SENDING_BATCHES; i++) {
      calls.push(b.call('/v1/clock', Buffer.from(`m${i}`), never));
      await tick(); // one batch each
    }
    for (let i = SENDING_BATCHES; i < SENDING_BATCHES + 5; i++) {
      calls.push(b.call('/v1/clock', Buffer.from(`m${i}`), never));
      await tick();
    }
    assert.equal(sent.length, SENDING_BATCHES, 'nothing more sent while they are unanswered');
    answer(0);
    await tick();
    await tick();
    assert.equal(sent.length, SENDING_BATCHES + 1);
    const waited = Array.from({ length: 5 }, (_, i) => `m${SENDING_BATCHES + i}`);
    assert.deepEqual(sent.at(-1), waited, 'the waiting messages went together');
    for (let i = 1; i <= SENDING_BATCHES; i++) answer(i);
    const answers = await Promise.all(calls);
    assert.deepEqual(answers.map((a) => a.toString()), calls.map((_, i) => `m${i}`), 'each caller got its own answer');
  });

  it(`a slow answer holds the waiting messages back ${HOLD_MS} ms at most`, async () => {
    const { b, sent, answer } = manual(HOLD_MS);
    for (let i = 0; i < SENDING_BATCHES; i++) {
      void b.call('/v1/clock', Buffer.from(`m${i}`), never);
      await tick();
    }
    const late = b.call('/v1/clock', Buffer.from('late'), never);
    await tick();
    assert.equal(sent.length, SENDING_BATCHES);
    await new Promise((r) => setTimeout(r, HOLD_MS + 20));
    assert.deepEqual(sent.at(-1), ['late'], 'sent though nothing was answered');
    answer(SENDING_BATCHES);
    assert.equal((await late).toString(), 'late');
  });

  it('a message whose caller left while it waited is not sent', async () => {
    const { b, sent, answer } = manual();
    for (let i = 0; i < SENDING_BATCHES; i++) {
      void b.call('/v1/clock', Buffer.from(`m${i}`), never);
      await tick();
    }
    const ctl = new AbortController();
    const gone = b.call('/v1/clock', Buffer.from('gone'), ctl.signal);
    const stays = b.call('/v1/clock', Buffer.from('stays'), never);
    ctl.abort(new Error('caller left'));
    await assert.rejects(gone, /caller left/);
    answer(0);
    await tick();
    await tick();
    assert.deepEqual(sent.at(-1), ['stays']);
    answer(SENDING_BATCHES);
    assert.equal((await stays).toString(), 'stays');
  });
});

describe('lazy messages (a read\'s pins) start no batch of their own', () => {
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('a lazy message goes with the next message that starts a batch', async () => {
    const { b, sent, answer } = manual();
    const pin = b.call('/v1/pin', Buffer.from('narrow'), never, false, true);
    await tick();
    await tick();
    assert.equal(sent.length, 0, 'not sent on its own');
    const collect = b.call('/v1/collect', Buffer.from('collect'), never);
    await tick();
    assert.deepEqual(sent, [['narrow', 'collect']], 'both in one batch');
    answer(0);
    assert.deepEqual([(await pin).toString(), (await collect).toString()], ['narrow', 'collect']);
  });

  it(`alone, it goes after ${LAZY_MS} ms`, async () => {
    const { b, sent, answer } = manual(10_000, 30);
    const pin = b.call('/v1/pin', Buffer.from('renew'), never, false, true);
    await sleep(10);
    assert.equal(sent.length, 0);
    await sleep(40);
    assert.deepEqual(sent, [['renew']]);
    answer(0);
    assert.equal((await pin).toString(), 'renew');
  });

  it('an answered batch sends the waiting messages only if one of them is not lazy', async () => {
    const { b, sent, answer } = manual(10_000, 10_000);
    void b.call('/v1/collect', Buffer.from('first'), never);
    await tick();
    void b.call('/v1/pin', Buffer.from('release'), never, false, true);
    answer(0);
    await tick();
    await tick();
    assert.equal(sent.length, 1, 'the lazy message waits on');
    void b.call('/v1/filter', Buffer.from('filter'), never);
    await tick();
    assert.deepEqual(sent.at(-1), ['release', 'filter']);
    answer(1);
  });

  it('a lazy message whose caller left is not sent', async () => {
    const { b, sent, answer } = manual();
    const ctl = new AbortController();
    const gone = b.call('/v1/pin', Buffer.from('gone'), ctl.signal, false, true);
    ctl.abort(new Error('read over'));
    await assert.rejects(gone, /read over/);
    void b.call('/v1/collect', Buffer.from('collect'), never);
    await tick();
    assert.deepEqual(sent, [['collect']]);
    answer(0);
  });
});

describe('callers that share a signal (a round\'s calls to every node)', () => {
  /** A batcher whose batches are answered by hand, and the signals its batch requests got. */
  function manualWithSignals(): { b: RpcBatcher; cut: () => boolean[]; answer: (i: number) => void } {
    const signals: AbortSignal[] = [];
    const waiting: Array<() => void> = [];
    const b = new RpcBatcher(0, (entries: readonly BatchEntry[], signal: AbortSignal) => {
      signals.push(signal);
      return new Promise<BatchAnswer[]>((resolve) => waiting.push(() => resolve(entries.map((e) => ({ status: 200, payload: e.payload })))));
    });
    return { b, cut: () => signals.map((s) => s.aborted), answer: (i) => waiting[i]!() };
  }

  it('one abort listener a signal, however many messages wait under it', async () => {
    const ctl = new AbortController();
    const nodes = [manualWithSignals(), manualWithSignals(), manualWithSignals()];
    const calls = nodes.flatMap(({ b }) => [b.call('/v1/collect', Buffer.from('a'), ctl.signal), b.call('/v1/filter', Buffer.from('b'), ctl.signal)]);
    assert.equal(getEventListeners(ctl.signal, 'abort').length, 1);
    await tick();
    nodes.forEach(({ answer }) => answer(0));
    assert.deepEqual((await Promise.all(calls)).map((a) => a.toString()), ['a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('an abort rejects every message still waiting under the signal, cuts the batches all of whose callers left, and leaves the answered alone', async () => {
    const ctl = new AbortController();
    const n0 = manualWithSignals();
    const n1 = manualWithSignals();
    const answered = n0.b.call('/v1/collect', Buffer.from('done'), ctl.signal);
    await tick();
    n0.answer(0);
    assert.equal((await answered).toString(), 'done');
    const pending = [n0.b.call('/v1/filter', Buffer.from('x'), ctl.signal), n1.b.call('/v1/filter', Buffer.from('y'), ctl.signal)];
    const other = n1.b.call('/v1/filter', Buffer.from('z'), never);
    await tick();
    ctl.abort(new Error('round over'));
    for (const p of pending) await assert.rejects(p, /round over/);
    assert.deepEqual(n0.cut(), [false, true], "node 0's second batch had only the aborted caller: cut");
    assert.deepEqual(n1.cut(), [false], "node 1's batch still has a caller: not cut");
    n1.answer(0);
    assert.equal((await other).toString(), 'z');
  });
});
