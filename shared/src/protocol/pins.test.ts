// PinTable with an injected clock: floors, entries, other registers,
// narrowed pins, expiry and renewal; node-issued pin ids and lapses,
// release markers against stragglers, and what covers costs.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PinTable, PIN_LEASE_MS, type Touch } from './pins.js';
import type { Timestamp } from './timestamp.js';
import { fixture, ts, WRITER_B } from './testing/fixture.js';

const f = fixture(1);
const t2 = ts(f, 2);
const t5 = ts(f, 5);
const t7 = ts(f, 7);

/** The floor a touch reports (throws on a lapsed answer). */
function floorOf(t: Touch): Timestamp | null {
  assert.equal(t.lapsed, false);
  return t.lapsed ? null : t.floor;
}

function pinOf(t: Touch): string {
  assert.equal(t.lapsed, false);
  return t.lapsed ? '' : t.pin;
}

function table(): { pins: PinTable; clock: { now: number } } {
  const clock = { now: 1000 };
  return { pins: new PinTable(() => clock.now, 100), clock };
}

describe('PinTable', () => {
  it('a pin covers its floor and everything above, nothing below, in its own register only', () => {
    const { pins } = table();
    assert.deepEqual(floorOf(pins.touch('r1', 'A', t5)), t5);
    assert.equal(pins.covers('A', t5), true);
    assert.equal(pins.covers('A', t7), true);
    assert.equal(pins.covers('A', ts(f, 5, WRITER_B)), true);
    assert.equal(pins.covers('A', t2), false);
    assert.equal(pins.covers('B', t7), false);
    assert.equal(pins.size, 1);
  });

  it('a pin made at lc = c0 covers every entry and reports no floor', () => {
    const { pins } = table();
    assert.deepEqual(floorOf(pins.touch('r1', 'A', null)), null);
    assert.equal(pins.covers('A', ts(f, 0)), true);
    assert.equal(pins.covers('A', t2), true);
    assert.equal(pins.covers('B', t2), false);
  });

  it('a c0 read’s pin covers every entry whatever other pins the register has, made before or after it', () => {
    for (const c0First of [true, false]) {
      const { pins } = table();
      if (c0First) pins.touch('c0', 'A', null);
      pins.touch('r5', 'A', t5);
      pins.touch('r7', 'A', t7);
      if (!c0First) pins.touch('c0', 'A', null);
      assert.equal(pins.covers('A', t2), true, `c0 pin ${c0First ? 'first' : 'last'}`);
      assert.equal(pins.covers('A', ts(f, 0)), true);
      pins.release('c0', 'A');
      assert.equal(pins.covers('A', t2), false);
      assert.equal(pins.covers('A', t5), true);
    }
  });

  it('the first contact sets the floor; later touches keep it', () => {
    const { pins } = table();
    pins.touch('r1', 'A', t5);
    assert.deepEqual(floorOf(pins.touch('r1', 'A', t2)), t5);
    assert.equal(pins.covers('A', t2), false);
    // Another read or register is another pin.
    assert.deepEqual(floorOf(pins.touch('r2', 'A', t2)), t2);
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
    assert.deepEqual(floorOf(pins.touch('r1', 'A', t2)), t2);
    assert.equal(pins.covers('A', t2), true);
  });

  // Protocol review finding 9: a node never pins afresh, with a newer floor,
  // a read whose pin it lost; it says the pin lapsed.
  it('a touch naming a pin this node holds gets it back; one naming a lost pin is told lapsed and pins nothing', () => {
    const { pins, clock } = table();
    const id = pinOf(pins.touch('r1', 'A', t2));
    assert.deepEqual(pins.touch('r1', 'A', t7, id), { lapsed: false, pin: id, floor: t2 });
    assert.deepEqual(pins.touch('r1', 'A', t7, 'someone-elses'), { lapsed: true });
    clock.now += 101; // the lease lapsed
    assert.deepEqual(pins.touch('r1', 'A', t7, id), { lapsed: true });
    assert.equal(pins.size, 0);
    assert.equal(pins.covers('A', t7), false);
    const restarted = table().pins;
    assert.deepEqual(restarted.touch('r1', 'A', t7, id), { lapsed: true });
    assert.equal(restarted.size, 0);
  });

  it('pin ids differ between reads, registers and node restarts', () => {
    const ids = new Set([table().pins, table().pins].flatMap((p) => [pinOf(p.touch('r1', 'A', t2)), pinOf(p.touch('r2', 'A', t2)), pinOf(p.touch('r1', 'B', t2))]));
    assert.equal(ids.size, 6);
  });

  // Finding 12: a filter that arrives after the read released its pins
  // (a straggler) must not pin the register again for a whole lease.
  it('a straggling request after release pins nothing, named or not', () => {
    const { pins, clock } = table();
    const id = pinOf(pins.touch('r1', 'A', t2));
    pins.release('r1', 'A');
    pins.release('r2', 'A'); // released before this node ever heard of r2
    assert.deepEqual(pins.touch('r1', 'A', t2, id), { lapsed: true });
    assert.deepEqual(pins.touch('r1', 'A', t2), { lapsed: true });
    assert.deepEqual(pins.touch('r2', 'A', t2), { lapsed: true });
    pins.add('r1', 'A', t5);
    assert.equal(pins.renew('r1', 'A'), false);
    assert.equal(pins.narrow('r1', 'A', t5), false);
    assert.equal(pins.covers('A', t5), false);
    assert.equal(pins.covers('A', t2), false);
    assert.equal(pins.size, 0);
    clock.now += 101; // the marker goes with its lease
    assert.equal(floorOf(pins.touch('r1', 'A', t5)), t5);
  });

  it('covers agrees with every pin across many reads and registers (floors, entries, narrowed, expired, released)', () => {
    const { pins, clock } = table();
    const live: { reg: string; floor: Timestamp | null; entries: Timestamp[] }[] = [];
    for (let i = 0; i < 60; i++) {
      const reg = ['A', 'B', 'C'][i % 3]!;
      const floor = ts(f, 3 + (i % 7));
      pins.touch(`r${i}`, reg, floor);
      const p = { reg, floor: floor as Timestamp | null, entries: [] as Timestamp[] };
      if (i % 4 === 0) {
        pins.add(`r${i}`, reg, ts(f, 1 + (i % 2)));
        p.entries.push(ts(f, 1 + (i % 2)));
      }
      if (i % 5 === 0) {
        pins.narrow(`r${i}`, reg, ts(f, 4));
        p.floor = null;
        p.entries = [ts(f, 4)];
      }
      if (i % 11 === 0) pins.release(`r${i}`, reg);
      else live.push(p);
    }
    const expected = (reg: string, t: Timestamp): boolean =>
      live.some((p) => p.reg === reg && (p.entries.some((e) => e.num === t.num) || (p.floor !== null && t.num >= p.floor.num)));
    for (const reg of ['A', 'B', 'C', 'D']) {
      for (let n = 0; n < 12; n++) assert.equal(pins.covers(reg, ts(f, n)), expected(reg, ts(f, n)), `${reg} ${n}`);
    }
    assert.equal(pins.size, live.length);
    clock.now += 101;
    for (let n = 0; n < 12; n++) assert.equal(pins.covers('A', ts(f, n)), false);
    assert.equal(pins.size, 0);
  });

  // Finding 12: garbage collection asks `covers` once per history row; with
  // P pins on the register, the floors are compared O(P + rows) times, not
  // O(P × rows). Counted, not timed: reads of the pins' floors' `num`.
  it('covers looks at each pin once per change, not once per row asked', () => {
    const { pins } = table();
    let reads = 0;
    const counted = (t: Timestamp): Timestamp => new Proxy(t, {
      get(target, p, r) {
        if (p === 'num') reads++;
        return Reflect.get(target, p, r) as unknown;
      },
    });
    for (let i = 0; i < 200; i++) pins.touch(`r${i}`, 'A', counted(ts(f, 100 + i)));
    reads = 0;
    for (let n = 0; n < 200; n++) pins.covers('A', ts(f, n));
    assert.ok(reads < 5 * (200 + 200), `${reads} reads of pin floors for 200 rows over 200 pins (O(P × rows) is 40000 or more)`);
    assert.equal(pins.covers('A', ts(f, 99)), false);
    assert.equal(pins.covers('A', ts(f, 100)), true);
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

  // Releases are fire and forget: one may come twice, or for a read the node never pinned.
  it('a second release of a read, or one of a read never pinned, changes nothing and does not throw', () => {
    const { pins } = table();
    pins.touch('r1', 'A', t5);
    pins.release('r1', 'A');
    pins.release('r1', 'A');
    pins.release('r2', 'B');
    pins.release('r2', 'B');
    assert.equal(pins.size, 0);
    assert.equal(pins.touch('r1', 'A', t5).lapsed, true);
    assert.equal(pins.touch('r2', 'B', t5).lapsed, true);
    assert.equal(pins.covers('A', t7), false);
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
