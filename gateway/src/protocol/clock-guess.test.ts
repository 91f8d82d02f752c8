// Guessing a register empty (clock-guess.ts): two rounds for a new key, four
// (and still on top) when the guess was wrong, clock again once guesses
// keep failing, and guesses again once clock says they would hold.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { NodeApi, StoreAck } from '@powerstore/shared/node-api.js';
import { ClockGuess, guessWouldHold } from './clock-guess.js';
import { get, put } from './testing/ops.js';
import { simCluster } from './testing/sim-cluster.js';

const LOW = '0'.repeat(16);
const HIGH = 'f'.repeat(16);
const ts = (num: number, writer: string, op = 1) => ({ num, writer, op, epoch: 0, tag: Buffer.alloc(0) });

describe('guessing a register empty', () => {
  it('a guess holds over nothing, and over num 1 of a lower writer or of this one; not over num 2 or a higher writer', () => {
    const me = '8'.repeat(16);
    assert.equal(guessWouldHold(null, me), true);
    assert.equal(guessWouldHold(ts(1, LOW, 99), me), true);
    assert.equal(guessWouldHold(ts(1, me, 1e9), me), true, "this gateway's op numbers only grow");
    assert.equal(guessWouldHold(ts(1, HIGH, 1), me), false);
    assert.equal(guessWouldHold(ts(2, LOW, 1), me), false);
  });

  it('guesses until more than 8 of the last 32 outcomes failed, and again once they slid out', () => {
    const g = new ClockGuess();
    assert.equal(g.shouldGuess(), true, 'nothing known yet');
    for (let i = 0; i < 8; i++) g.record(false);
    assert.equal(g.shouldGuess(), true, '8 failed');
    g.record(false);
    assert.equal(g.shouldGuess(), false, '9 failed');
    for (let i = 0; i < 23; i++) g.record(true);
    assert.equal(g.shouldGuess(), false, 'the 9 failures are all still among the last 32');
    g.record(true);
    assert.equal(g.shouldGuess(), true, 'the oldest failure slid out');
  });

  it('a new key is written in two rounds (store, complete) and reads back', async () => {
    const cl = simCluster(1);
    const gw = cl.gateway({ guess: new ClockGuess() });
    const before = cl.rounds.get('write') ?? 0;
    for (let i = 0; i < 5; i++) await put(gw, `k${i}`, Buffer.from(`v${i}`));
    assert.equal(((cl.rounds.get('write') ?? 0) - before) / 5, 2);
    for (let i = 0; i < 5; i++) assert.deepEqual(await get(gw, `k${i}`), Buffer.from(`v${i}`));
    // The same gateway's overwrite holds too: its ts at num 1 grows with its op numbers.
    await put(gw, 'k0', Buffer.from('again'));
    assert.equal((cl.rounds.get('write') ?? 0) - before, 12);
    assert.deepEqual(await get(gw, 'k0'), Buffer.from('again'));
  });

  it('a wrong guess costs four rounds and the write still lands on top, small or large', async () => {
    const cl = simCluster(1);
    const other = cl.gateway({ writerId: HIGH });
    const guess = new ClockGuess();
    const gw = cl.gateway({ guess, writerId: LOW });
    for (const [key, size] of [['small', 100], ['big', 30_000]] as const) {
      await put(other, key, Buffer.alloc(size, 1));
      const before = cl.rounds.get('write') ?? 0;
      await put(gw, key, Buffer.alloc(size, 2));
      assert.equal((cl.rounds.get('write') ?? 0) - before, 4, `${key}: store, clock, store again, complete`);
      assert.deepEqual(await get(other, key), Buffer.alloc(size, 2), `${key}: the later write wins`);
    }
  });

  it('a node that hides its lc in store acks does not make a wrong guess hold (t = 1)', async () => {
    const cl = simCluster(1);
    const hide = (inner: NodeApi): NodeApi => new Proxy(inner, {
      get: (target, p) => (p === 'storeWhole'
        ? async (...args: Parameters<NodeApi['storeWhole']>): Promise<StoreAck> => ({ ...(await target.storeWhole(...args)), lc: null })
        : Reflect.get(target, p) as unknown),
    });
    const other = cl.gateway({ writerId: HIGH });
    await put(other, 'k', Buffer.from('old'));
    await put(other, 'k', Buffer.from('newer'));
    cl.wrap(0, hide);
    const gw = cl.gateway({ guess: new ClockGuess(), writerId: LOW });
    await put(gw, 'k', Buffer.from('last'));
    assert.deepEqual(await get(other, 'k'), Buffer.from('last'));
  });

  it('stops guessing when guesses keep failing, and guesses again once clock shows they would hold', async () => {
    const cl = simCluster(1);
    const other = cl.gateway({ writerId: HIGH });
    const gw = cl.gateway({ guess: new ClockGuess(), writerId: LOW });
    const rounds = async (key: string): Promise<number> => {
      const before = cl.rounds.get('write') ?? 0;
      await put(gw, key, Buffer.from(key));
      return (cl.rounds.get('write') ?? 0) - before;
    };
    for (let i = 0; i < 10; i++) await put(other, `old${i}`, Buffer.from('x'));
    const spent = [];
    for (let i = 0; i < 10; i++) spent.push(await rounds(`old${i}`));
    assert.deepEqual(spent, [4, 4, 4, 4, 4, 4, 4, 4, 4, 3], 'nine wrong guesses, then clock');
    // New keys: clock finds them empty, so guesses would hold; once the failures are out of the window, it guesses again.
    const fresh = [];
    for (let i = 0; i < 25; i++) fresh.push(await rounds(`new${i}`));
    assert.deepEqual(fresh, [...Array<number>(24).fill(3), 2]);
    for (let i = 0; i < 10; i++) assert.deepEqual(await get(other, `old${i}`), Buffer.from(`old${i}`));
  });
});
