// Messages to a node wait while SENDING_BATCHES batches to it are unanswered
// and then go together (rpc-batcher.ts): fewer, larger batch requests under
// load, each caller still answered alone, and a slow answer holding the
// rest back HOLD_MS at most.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { BatchAnswer, BatchEntry } from '@powerstore/shared/protocol/wire/batch.js';
import { HOLD_MS, RpcBatcher, SENDING_BATCHES } from './rpc-batcher.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const never = new AbortController().signal;

/** A batcher whose batches are answered by hand: each answer echoes its message. */
function manual(holdMs = 10_000): { b: RpcBatcher; sent: string[][]; answer: (i: number) => void } {
  const sent: string[][] = [];
  const waiting: Array<() => void> = [];
  const b = new RpcBatcher(0, (entries: readonly BatchEntry[]) => {
    sent.push(entries.map((e) => e.payload.toString()));
    return new Promise<BatchAnswer[]>((resolve) => waiting.push(() => resolve(entries.map((e) => ({ status: 200, payload: e.payload })))));
  }, { holdMs });
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
    assert.deepEqual(sent.at(-1), ['m2', 'm3', 'm4', 'm5', 'm6'], 'the waiting messages went together');
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
