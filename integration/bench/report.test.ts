import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BenchArgs } from './args.js';
import type { PhaseResult } from './phase.js';
import { row, summary } from './report.js';
import type { ScaleResult } from './scale.js';
import { scaleFigures } from './scale-report.js';

function phase(op: PhaseResult['op'], size: number, count: number, wallMs: number, gatewayS: number, nodesS: number): PhaseResult {
  return {
    op, size, count, concurrency: 4,
    run: { wallMs, latenciesMs: Array.from({ length: count }, (_, i) => i + 1) },
    protocol: { rounds: op === 'get' ? 2 * count : 3 * count, operations: count, failed: 0 },
    peaks: new Map([['gateway', 100], ['node-0', 50]]),
    cpu: { gateway: 0.5, nodes: 0.5, client: 0.1, usedS: { gateway: gatewayS, nodes: nodesS, client: 0 } },
  };
}

test('a phase reports CPU milliseconds per operation and per MB, gateway and nodes apart', () => {
  // 1,000 puts of 1 MB in 10 s; the gateway spent 2 s, the nodes 3 s.
  const r = row(phase('put', 1_000_000, 1000, 10_000, 2, 3));
  assert.deepEqual(r.cpu_ms_per_op, { gateway: 2, nodes: 3 });
  assert.deepEqual(r.cpu_ms_per_mb, { gateway: 2, nodes: 3 });
  const small = row(phase('get', 4096, 2000, 1000, 1, 0.5));
  assert.deepEqual(small.cpu_ms_per_op, { gateway: 0.5, nodes: 0.25 });
  assert.equal(small.cpu_ms_per_mb.gateway, Number((1000 / (4096 * 2000 / 1e6)).toFixed(3)));
});

const args: BenchArgs = { t: 1, quick: true, big: false, redis: false, profile: null, scale: { objects: 10, listKeys: 10 }, help: false };

function scaleRun(fullPutMs: number, listS: number, t2NodesS: number): ScaleResult {
  return {
    objects: 1000,
    empty: { put: phase('put', 4096, 100, 1000, 0.1, 0.2), get: phase('get', 4096, 100, 500, 0.1, 0.1) },
    full: { put: phase('put', 4096, 100, fullPutMs, 0.1, 0.2), get: phase('get', 4096, 100, 500, 0.1, 0.1) },
    fillS: 10,
    list: { keys: 1000, seconds: listS },
    fillPeaks: new Map([['gateway', 150], ['node-0', 90], ['node-1', 95.25]]),
    listPeaks: new Map([['gateway', 210.5], ['node-0', 120]]),
    listCpu: { gateway: 1.2, nodes: 1.5, client: 0.5, usedS: { gateway: 0.06, nodes: 0.075, client: 0.025 } },
    t2: { put: phase('put', 4096, 100, 1000, 0.1, t2NodesS), get: phase('get', 4096, 100, 500, 0.1, 0.15) },
  };
}

test('--scale figures: rate ratios, listing rate and CPU growth against the goals', () => {
  const ok = scaleFigures(scaleRun(1200, 0.05, 0.4));
  assert.equal(ok.put_ratio, 0.833);
  assert.equal(ok.list_keys_per_s, 20_000);
  assert.equal(ok.cpu_growth_put, 1.667); // (0.1+0.4)/(0.1+0.2)
  assert.equal(ok.goals_met, true);
  assert.equal(scaleFigures(scaleRun(1300, 0.05, 0.4)).goals_met, false, 'put at 77% of the empty rate');
  assert.equal(scaleFigures(scaleRun(1200, 0.2, 0.4)).goals_met, false, 'listing at 5,000 keys/s');
  assert.equal(scaleFigures(scaleRun(1200, 0.05, 0.5)).goals_met, false, 'CPU x2 for x1.75 nodes');
});

test('the JSON line is last and carries the CPU figures and, with --scale, the scale object', () => {
  const results = [phase('put', 4096, 100, 1000, 0.1, 0.2), phase('get', 4096, 100, 500, 0.1, 0.1)];
  const lines = summary({ args, nodes: 4, results, overall: new Map([['gateway', 100], ['node-0', 50]]), failed: null, scale: scaleRun(1200, 0.05, 0.4) });
  const j = JSON.parse(lines.at(-1)!) as { results: { cpu_ms_per_op: unknown }[]; scale: { goals_met: boolean } };
  assert.deepEqual(j.results[0]!.cpu_ms_per_op, { gateway: 1, nodes: 2 });
  assert.equal(j.scale.goals_met, true);
  assert.ok(lines.includes('scale: ListObjectsV2 of 1000 keys at 20000 keys/s (goal >= 10000: met); CPU us per key: gateway 60, nodes 75, client 25'));
  assert.ok(lines.includes('scale: peak RSS MiB storing: gateway 150, largest node 95.3; listing: gateway 210.5, largest node 120'));
  assert.deepEqual((j.scale as unknown as { list_peak_rss_mb: unknown }).list_peak_rss_mb, { gateway: 210.5, node_max: 120 });
});
