// Pairs of bench runs of two builds, reduced to what changed: per phase and
// figure, the median of each build's runs, the change, and every run's value
// (so a reader sees the spread, not only the middle). This machine's noise
// between runs is 10-30%; runs alternate so that a slow stretch falls on
// both builds, and medians keep one bad run from deciding.

import { sizeLabel, MiB } from '../plan.js';
import type { Row } from '../report.js';

/** The JSON line a bench run ends with (report.ts json()): the parts compared. */
export interface BenchLine {
  readonly results: readonly Row[];
  readonly overwrites: readonly Row[];
  readonly peak_rss_mb: { readonly gateway: number; readonly node_max: number };
}

/** The last line of a bench run's output, parsed; throws when it is not the bench's JSON. */
export function parseBenchLine(stdout: string): BenchLine {
  const last = stdout.trimEnd().split('\n').pop() ?? '';
  let x: unknown;
  try {
    x = JSON.parse(last);
  } catch {
    throw new Error(`the bench's last line is not JSON: ${last.slice(0, 120)}`);
  }
  const b = x as Partial<BenchLine> & { bench?: unknown };
  if (b.bench !== 'powerstore' || !Array.isArray(b.results) || !Array.isArray(b.overwrites) || typeof b.peak_rss_mb !== 'object') {
    throw new Error(`the bench's last line is not its result: ${last.slice(0, 120)}`);
  }
  return b as BenchLine;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Comparison {
  /** "put 4 KiB", "overwrite 1 MiB", or "peak RSS". */
  readonly phase: string;
  /** "MB/s", "ops/s", "p50 ms", "gw ms/op", … */
  readonly figure: string;
  /**
   * Whether a larger value is the better one (throughput) or the worse
   * (latency, CPU, memory); null when that depends on the change (gw/nodes).
   */
  readonly higherIsBetter: boolean | null;
  readonly base: readonly number[];
  readonly head: readonly number[];
}

interface Figure {
  readonly name: string;
  readonly higherIsBetter: boolean | null;
  readonly of: (r: Row) => number;
}

/**
 * CPU per operation for small objects, per MB from 1 MiB up (the issue's
 * goals are stated so); then the gateway's CPU over the nodes', run by run.
 * A change to one side only leaves the other as that run's own yardstick:
 * the machine's drift moves both alike and partly cancels in the ratio. An
 * A/A run of three pairs (README, "Tests and benchmarks"): raw CPU medians
 * up to 20.6% apart, the ratio's up to 7.5%. Which way is better depends
 * on the side the change touched, so the table does not say.
 */
function figuresFor(size: number): Figure[] {
  const perMb = size >= MiB;
  const unit = perMb ? 'ms/MB' : 'ms/op';
  const cpu = (r: Row): Row['cpu_ms_per_op'] => (perMb ? r.cpu_ms_per_mb : r.cpu_ms_per_op);
  return [
    perMb ? { name: 'MB/s', higherIsBetter: true, of: (r) => r.MBps } : { name: 'ops/s', higherIsBetter: true, of: (r) => r.opsps },
    { name: 'p50 ms', higherIsBetter: false, of: (r) => r.p50_ms },
    { name: `gw ${unit}`, higherIsBetter: false, of: (r) => cpu(r).gateway },
    { name: `nodes ${unit}`, higherIsBetter: false, of: (r) => cpu(r).nodes },
    { name: 'gw/nodes', higherIsBetter: null, of: (r) => cpu(r).gateway / cpu(r).nodes },
  ];
}

const phaseName = (r: Row): string => `${r.op} ${sizeLabel(r.size)}`;

/** Every phase both builds ran in every run, figure by figure; then the peak memory of each. */
export function compare(base: readonly BenchLine[], head: readonly BenchLine[]): Comparison[] {
  const rowsOf = (l: BenchLine): Row[] => [...l.results, ...l.overwrites];
  const out: Comparison[] = [];
  const first = base[0];
  if (!first) return out;
  for (const r of rowsOf(first)) {
    const name = phaseName(r);
    const pick = (l: BenchLine): Row | undefined => rowsOf(l).find((x) => phaseName(x) === name);
    const b = base.map(pick);
    const h = head.map(pick);
    if (b.some((x) => !x) || h.some((x) => !x) || h.length === 0) continue;
    for (const f of figuresFor(r.size)) {
      out.push({ phase: name, figure: f.name, higherIsBetter: f.higherIsBetter, base: b.map((x) => f.of(x!)), head: h.map((x) => f.of(x!)) });
    }
  }
  out.push(
    { phase: 'peak RSS', figure: 'gw MiB', higherIsBetter: false, base: base.map((l) => l.peak_rss_mb.gateway), head: head.map((l) => l.peak_rss_mb.gateway) },
    { phase: 'peak RSS', figure: 'node MiB', higherIsBetter: false, base: base.map((l) => l.peak_rss_mb.node_max), head: head.map((l) => l.peak_rss_mb.node_max) },
  );
  return out;
}

/** Head's median against base's, in percent (positive: head's is larger). */
export function changePct(c: Comparison): number {
  const b = median(c.base);
  return b === 0 ? NaN : ((median(c.head) - b) / b) * 100;
}

const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));

/** The comparison as a table for people: medians, change, and each build's runs in order. */
export function abTable(cs: readonly Comparison[]): string[] {
  const rows = cs.map((c) => {
    const pct = changePct(c);
    const better = Number.isNaN(pct) || pct === 0 || c.higherIsBetter === null ? '' : (pct > 0) === c.higherIsBetter ? ' better' : ' worse';
    return [
      c.phase, c.figure, fmt(median(c.base)), fmt(median(c.head)),
      Number.isNaN(pct) ? '' : `${pct > 0 ? '+' : ''}${pct.toFixed(1)}%${better}`,
      c.base.map(fmt).join(' '), c.head.map(fmt).join(' '),
    ];
  });
  const head = ['phase', 'figure', 'base', 'head', 'change', 'base runs', 'head runs'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < 2 || i > 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

/** Which build runs first in pair `i` (from 0): they take turns, so a drift in the machine's speed falls on both. */
export function pairOrder(i: number): readonly ['base', 'head'] | readonly ['head', 'base'] {
  return i % 2 === 0 ? ['base', 'head'] : ['head', 'base'];
}
