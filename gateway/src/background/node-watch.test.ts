import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { NodeHealth } from '@powerstore/shared/node-api.js';
import { NodeWatch, type Watchable } from './node-watch.js';

function captured(): { log: pino.Logger; lines: () => { level: number; msg: string; node?: number }[] } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines: () => out.map((l) => JSON.parse(l) as { level: number; msg: string; node?: number }) };
}

class FakeNode implements Watchable {
  up = true;
  async health(): Promise<NodeHealth> {
    if (!this.up) throw new Error('connect ECONNREFUSED');
    return {} as NodeHealth;
  }
}

test('a node going down and coming back is one warn line each; nothing while nodes stay up', async () => {
  const nodes = [new FakeNode(), new FakeNode()];
  const { log, lines } = captured();
  const gauge = new Map<number, boolean>();
  const w = new NodeWatch(nodes, { intervalMs: 60_000, timeoutMs: 1000, log, report: (n, h) => gauge.set(n, h !== null) });
  await w.checkNow();
  await w.checkNow();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(lines(), [], 'up from the start: nothing logged');
  assert.deepEqual([...gauge], [[0, true], [1, true]]);

  nodes[1]!.up = false;
  await w.checkNow();
  await w.checkNow(); // still down: no second line
  nodes[1]!.up = true;
  await w.checkNow();
  await new Promise((r) => setImmediate(r));
  const got = lines();
  assert.equal(got.length, 2);
  assert.equal(got[0]!.level, 40);
  assert.equal(got[0]!.node, 1);
  assert.match(got[0]!.msg, /^storage node 1 does not answer$/);
  assert.equal(got[1]!.level, 40);
  assert.match(got[1]!.msg, /^storage node 1 answers again after \d+ s$/);
  assert.equal(gauge.get(1), true);
});

test('a node down from the start is logged; a health answer slower than the timeout counts as down', async () => {
  const slow: Watchable = { health: (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('timed out')))) };
  const { log, lines } = captured();
  const gauge = new Map<number, boolean>();
  const w = new NodeWatch([slow], { intervalMs: 60_000, timeoutMs: 50, log, report: (n, h) => gauge.set(n, h !== null) });
  const keepAlive = setTimeout(() => {}, 5000); // AbortSignal.timeout's timer alone does not hold the loop
  await w.checkNow();
  clearTimeout(keepAlive);
  await new Promise((r) => setImmediate(r));
  assert.equal(gauge.get(0), false);
  assert.match(lines()[0]!.msg, /storage node 0 does not answer/);
});
