import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Row } from '../report.js';
import { abTable, changePct, compare, median, pairOrder, parseBenchLine, type BenchLine } from './summary.js';

function row(op: Row['op'], size: number, MBps: number, cpuGw: number, cpuNodes: number): Row {
  return {
    op, size, count: 10, concurrency: 2, MBps, opsps: MBps * 1e6 / size, p50_ms: 10, p99_ms: 20, rounds_per_op: 2,
    cpu_ms_per_op: { gateway: cpuGw, nodes: cpuNodes }, cpu_ms_per_mb: { gateway: cpuGw * 10, nodes: cpuNodes * 10 },
  };
}

function line(putMBps: number, gw: number, rss = 200): BenchLine {
  return {
    results: [row('put', 4096, putMBps, gw, 2), row('get', 1024 * 1024, 100, 4, 4)],
    overwrites: [row('overwrite', 4096, 1, 1, 1)],
    peak_rss_mb: { gateway: rss, node_max: 150 },
  };
}

test('median of an odd and an even count', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('each phase is compared figure by figure: CPU per op below 1 MiB, per MB from 1 MiB', () => {
  const cs = compare([line(1, 1.5), line(2, 1.4), line(3, 1.6)], [line(2, 1.0), line(3, 1.1), line(4, 0.9)]);
  const put = cs.filter((c) => c.phase === 'put 4 KiB').map((c) => c.figure);
  assert.deepEqual(put, ['ops/s', 'p50 ms', 'gw ms/op', 'nodes ms/op', 'gw/nodes']);
  const get = cs.filter((c) => c.phase === 'get 1 MiB').map((c) => c.figure);
  assert.deepEqual(get, ['MB/s', 'p50 ms', 'gw ms/MB', 'nodes ms/MB', 'gw/nodes']);
  assert.ok(cs.some((c) => c.phase === 'overwrite 4 KiB'));
  const gw = cs.find((c) => c.phase === 'put 4 KiB' && c.figure === 'gw ms/op')!;
  assert.deepEqual(gw.base, [1.5, 1.4, 1.6]);
  assert.deepEqual(gw.head, [1.0, 1.1, 0.9]);
  assert.ok(Math.abs(changePct(gw) - (-100 / 3)) < 1e-9);
  const perMb = cs.find((c) => c.phase === 'get 1 MiB' && c.figure === 'gw ms/MB')!;
  assert.deepEqual(perMb.base, [40, 40, 40]);
});

test('the table says which way each change goes', () => {
  const cs = compare([line(1, 2, 200)], [line(2, 1, 220)]);
  const text = abTable(cs).join('\n');
  // More ops/s is better; less CPU is better; more memory is worse.
  assert.match(text, /put 4 KiB\s+ops\/s\s+244\s+488\s+\+100\.0% better/);
  assert.match(text, /put 4 KiB\s+gw ms\/op\s+2\.00\s+1\.00\s+-50\.0% better/);
  assert.match(text, /peak RSS\s+gw MiB\s+200\s+220\s+\+10\.0% worse/);
});

test("each run's gateway CPU over its nodes' CPU is a figure of its own, with no better or worse", () => {
  // put 4 KiB: gateway 1.5 against nodes 2 in the base run, 1.0 against 2 in head's.
  const cs = compare([line(1, 1.5)], [line(1, 1.0)]);
  const ratio = cs.find((c) => c.phase === 'put 4 KiB' && c.figure === 'gw/nodes')!;
  assert.deepEqual(ratio.base, [0.75]);
  assert.deepEqual(ratio.head, [0.5]);
  assert.equal(ratio.higherIsBetter, null);
  const text = abTable(cs).join('\n');
  assert.match(text, /put 4 KiB\s+gw\/nodes\s+0\.75\s+0\.50\s+-33\.3%\s/);
  assert.doesNotMatch(text, /gw\/nodes.*(better|worse)/);
});

test('a phase missing from a run is left out, not compared with nothing', () => {
  const partial: BenchLine = { ...line(1, 1), results: [row('put', 4096, 1, 1, 1)] };
  const cs = compare([line(1, 1)], [partial]);
  assert.ok(!cs.some((c) => c.phase === 'get 1 MiB'));
  assert.ok(cs.some((c) => c.phase === 'put 4 KiB'));
});

test('the builds take turns going first', () => {
  assert.deepEqual([0, 1, 2, 3].map((i) => pairOrder(i)[0]), ['base', 'head', 'base', 'head']);
});

test('a bench run is read from its last line, which must be its JSON', () => {
  const json = JSON.stringify({ bench: 'powerstore', t: 1, ...line(1, 1) });
  assert.equal(parseBenchLine(`table\n\n${json}\n`).results.length, 2);
  assert.throws(() => parseBenchLine('table only\n'), /last line is not JSON/);
  assert.throws(() => parseBenchLine('{"bench":"other"}'), /not its result/);
});
