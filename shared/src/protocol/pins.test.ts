// PinTable with an injected clock: floors, entries, other registers,
// narrowed pins, expiry and renewal.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PinTable, PIN_LEASE_MS } from './pins.js';
import { fixture, ts, WRITER_B } from './testing/fixture.js';

const f = fixture(1);
const t2 = ts(f, 2);
const t5 = ts(f, 5);
const t7 = ts(f, 7);

function table(): { pins: PinTable; clock: { now: number } } {
  const clock = { now: 1000 };
  return { pins: new PinTable(() => clock.now, 100), clock };
}

describe('PinTable', () => {
  it('a pin covers its floor and everything above, nothing below, in its own register only', () => {
    const { pins } = table();
    assert.deepEqual(pins.touch('r1', 'A', t5), { floor: t5 });
    assert.equal(pins.covers('A', t5), true);
    assert.equal(pins.covers('A', t7), true);
    assert.equal(pins.covers('A', ts(f, 5, WRITER_B)), true);
    assert.equal(pins.covers('A', t2), false);
    assert.equal(pins.covers('B', t7), false);
    assert.equal(pins.size, 1);
  });

  it('a pin made at lc = c0 covers every entry and reports no floor', () => {
    const { pins } = table();
    assert.deepEqual(pins.touch('r1', 'A', null), { floor: null });
    assert.equal(pins.covers('A', ts(f, 0)), true);
    assert.equal(pins.covers('A', t2), true);
    assert.equal(pins.covers('B', t2), false);
  });

  it('the first contact sets the floor; later touches keep it', () => {
    const { pins } = table();
    pins.touch('r1', 'A', t5);
    assert.deepEqual(pins.touch('r1', 'A', t2), { floor: t5 });
    assert.equal(pins.covers('A', t2), false);
    // Another read or register is another pin.
    assert.deepEqual(pins.touch('r2', 'A', t2), { floor: t2 });
    assert.equal(pins.covers('A', t2), true);
    assert.equal(pins.size, 2);
  });

  it('add pins an entry below the floor, for that read and register only', () => {
    const { pins } = table();
    pins.touch('r1', 'A', t5);
    pins.add('r1', 'A', t2);
    pins.add('r9', 'A', ts(f, 1));
    assert.equal(pins.covers('A', t2), true);
    assert.equal(pins.covers('A', ts(f, 1)), false);
    assert.equal(pins.size, 1, 'add does not create a pin');
  });

  it('narrow keeps only the chosen entry', () => {
    const { pins } = table();
    pins.touch('r1', 'A', t2);
    pins.add('r1', 'A', ts(f, 1));
    assert.equal(pins.narrow('r1', 'A', t5), true);
    assert.equal(pins.covers('A', t5), true);
    assert.equal(pins.covers('A', t7), false);
    assert.equal(pins.covers('A', t2), false);
    assert.equal(pins.covers('A', ts(f, 1)), false);
    assert.equal(pins.narrow('r2', 'A', t5), false);
  });

  it('a narrowed pin of a c0 read no longer covers everything', () => {
    const { pins } = table();
    pins.touch('r1', 'A', null);
    pins.narrow('r1', 'A', t5);
    assert.equal(pins.covers('A', t2), false);
    assert.equal(pins.covers('A', t5), true);
  });

  it('a lease lasts exactly leaseMs; renew and narrow extend it', () => {
    const { pins, clock } = table();
    pins.touch('r1', 'A', t5);
    clock.now += 100;
    assert.equal(pins.covers('A', t7), true, 'still live at its expiry instant');
    clock.now += 1;
    assert.equal(pins.covers('A', t7), false);
    assert.equal(pins.size, 0);
    assert.equal(pins.renew('r1', 'A'), false, 'a lapsed pin cannot be renewed');

    pins.touch('r2', 'A', t5);
    clock.now += 60;
    assert.equal(pins.renew('r2', 'A'), true);
    clock.now += 60;
    assert.equal(pins.covers('A', t7), true, 'renewed at +60, so live at +120');
    assert.equal(pins.narrow('r2', 'A', t7), true);
    clock.now += 90;
    assert.equal(pins.covers('A', t7), true, 'narrowed at +120, so live at +210');
    clock.now += 20;
    assert.equal(pins.covers('A', t7), false);
  });

  it('an expired pin is dropped before a touch makes a fresh one', () => {
    const { pins, clock } = table();
    pins.touch('r1', 'A', t5);
    clock.now += 101;
    assert.deepEqual(pins.touch('r1', 'A', t2), { floor: t2 });
    assert.equal(pins.covers('A', t2), true);
  });

  it('release drops the pin; a restarted node (new table) has none', () => {
    const { pins } = table();
    pins.touch('r1', 'A', t5);
    pins.touch('r1', 'B', t5);
    pins.release('r1', 'A');
    assert.equal(pins.covers('A', t7), false);
    assert.equal(pins.covers('B', t7), true);
    assert.equal(table().pins.renew('r1', 'B'), false);
  });

  it('the default lease is a minute', () => {
    assert.equal(PIN_LEASE_MS, 60_000);
    let now = 0;
    const pins = new PinTable(() => now);
    pins.touch('r', 'A', t5);
    now = 60_000;
    assert.equal(pins.covers('A', t5), true);
    now = 60_001;
    assert.equal(pins.covers('A', t5), false);
  });
});
