// Releases gathered per node: they wait for the hold (or a full message) and
// go as one message; each caller learns how its message fared.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_RELEASES, type PinRelease } from '@powerstore/shared/protocol/wire/node-messages.js';
import { PinReleases } from './pin-releases.js';

const rel = (i: number): PinRelease => ({ ref: { ns: 'b', key: `k${i}` }, readId: `r${i}` });

function recorder(answer: (rs: readonly PinRelease[]) => Promise<boolean> = async () => true) {
  const sent: PinRelease[][] = [];
  return { sent, send: (rs: readonly PinRelease[]) => (sent.push([...rs]), answer(rs)) };
}

describe('PinReleases', () => {
  it('sends the releases of one hold as one message, after the hold', async () => {
    const r = recorder();
    const pr = new PinReleases(r.send, 40);
    const answers = Array.from({ length: 50 }, (_, i) => pr.add(rel(i)));
    await sleep(5);
    assert.equal(r.sent.length, 0, 'nothing before the hold ends');
    assert.deepEqual(await Promise.all(answers), Array(50).fill(true));
    assert.deepEqual(r.sent, [Array.from({ length: 50 }, (_, i) => rel(i))]);
    await pr.add(rel(50));
    assert.deepEqual(r.sent[1], [rel(50)], 'a later release starts a message of its own');
  });

  it('a full message goes at once; the rest waits for the hold', async () => {
    const r = recorder();
    const pr = new PinReleases(r.send, 60_000);
    const answers = Array.from({ length: MAX_RELEASES + 3 }, (_, i) => pr.add(rel(i)));
    await sleep(0);
    assert.deepEqual(r.sent.map((m) => m.length), [MAX_RELEASES]);
    assert.deepEqual(r.sent[0]!.at(-1), rel(MAX_RELEASES - 1));
    const rest = pr.flush();
    assert.ok(rest);
    assert.equal(await rest, true);
    assert.deepEqual(r.sent[1], [0, 1, 2].map((i) => rel(MAX_RELEASES + i)));
    assert.equal((await Promise.all(answers)).length, MAX_RELEASES + 3);
    assert.equal(pr.flush(), null, 'nothing waits');
  });

  it('a failed message fails its callers only', async () => {
    let fail = true;
    const r = recorder(async () => {
      if (fail) throw new Error('node down');
      return true;
    });
    const pr = new PinReleases(r.send, 10);
    const lost = [pr.add(rel(1)), pr.add(rel(2))];
    for (const a of lost) await assert.rejects(a, /node down/);
    fail = false;
    assert.equal(await pr.add(rel(3)), true);
    assert.deepEqual(r.sent, [[rel(1), rel(2)], [rel(3)]]);
  });

  it('a pending hold does not keep the process alive', async () => {
    // The hold timer is unref'd: a gateway shutting down is not held up by it.
    const timers = (): number => process.getActiveResourcesInfo().filter((h) => h === 'Timeout').length;
    const r = recorder();
    const pr = new PinReleases(r.send, 60_000);
    const before = timers();
    void pr.add(rel(1));
    assert.equal(timers(), before);
    await pr.flush();
  });
});
