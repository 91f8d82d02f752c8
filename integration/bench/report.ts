// What the bench prints: a table for people, notes on anything unexpected,
// and last, one JSON line for scripts. Throughput uses MB = 10^6 bytes;
// memory uses MiB = 2^20 bytes (the JSON's peak_rss_mb too).

import type { BenchArgs } from './args.js';
import type { PhaseError, PhaseResult } from './phase.js';
import { BIG, GATEWAY_BUDGET_BYTES, MiB, sizeLabel } from './plan.js';
import { percentile } from './pool.js';
import type { Peaks } from './rss.js';
import type { ScaleResult } from './scale.js';
import { scaleFigures, scaleLines, type ScaleFigures } from './scale-report.js';

// Rounds per operation the protocol should take when no node misbehaves:
// read = collect, filter; write = store, complete (a put guesses its new key
// empty, an overwrite has the gateway's own clock hint: no clock round).
const HEALTHY_ROUNDS = 2;

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

function gatewayPeak(p: Peaks): number {
  return p.get('gateway') ?? NaN;
}

function nodeMax(p: Peaks): number {
  return Math.max(...[...p].filter(([name]) => name !== 'gateway').map(([, mib]) => mib));
}

export interface Row {
  readonly op: PhaseResult['op'];
  readonly size: number;
  readonly count: number;
  readonly concurrency: number;
  readonly MBps: number;
  readonly opsps: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly rounds_per_op: number | null;
  /** CPU milliseconds the cluster spent per operation, and per MB (10^6 bytes) moved. */
  readonly cpu_ms_per_op: CpuSplit;
  readonly cpu_ms_per_mb: CpuSplit;
}

export interface CpuSplit {
  readonly gateway: number;
  readonly nodes: number;
}

function cpuPer(r: PhaseResult, units: number): CpuSplit {
  return { gateway: round((r.cpu.usedS.gateway * 1000) / units, 3), nodes: round((r.cpu.usedS.nodes * 1000) / units, 3) };
}

const split = (c: CpuSplit): string => `${c.gateway.toFixed(2)}+${c.nodes.toFixed(2)}`;

export function row(r: PhaseResult): Row {
  const secs = r.run.wallMs / 1000;
  const rounds = r.protocol.operations > 0 ? r.protocol.rounds / r.protocol.operations : null;
  return {
    op: r.op, size: r.size, count: r.count, concurrency: r.concurrency,
    MBps: round((r.size * r.count) / secs / 1e6, 2),
    opsps: round(r.count / secs, 1),
    p50_ms: round(percentile(r.run.latenciesMs, 50), 2),
    p99_ms: round(percentile(r.run.latenciesMs, 99), 2),
    rounds_per_op: rounds === null ? null : round(rounds, 3),
    cpu_ms_per_op: cpuPer(r, r.count),
    cpu_ms_per_mb: cpuPer(r, (r.size * r.count) / 1e6),
  };
}

export function table(results: readonly PhaseResult[]): string {
  const head = ['op', 'size', 'count', 'conc', 'MB/s', 'ops/s', 'p50 ms', 'p99 ms', 'rounds/op', 'gw peak MiB', 'node peak MiB', 'cpu gw/nodes/client',
    'cpu ms/op gw+nodes', 'cpu ms/MB gw+nodes'];
  const body = results.map((r) => {
    const x = row(r);
    return [x.op, sizeLabel(x.size), String(x.count), String(x.concurrency), x.MBps.toFixed(2), x.opsps.toFixed(1),
      x.p50_ms.toFixed(2), x.p99_ms.toFixed(2), x.rounds_per_op === null ? '-' : x.rounds_per_op.toFixed(2),
      gatewayPeak(r.peaks).toFixed(1), nodeMax(r.peaks).toFixed(1),
      [r.cpu.gateway, r.cpu.nodes, r.cpu.client].map((c) => c.toFixed(2)).join(' / '),
      split(x.cpu_ms_per_op), split(x.cpu_ms_per_mb)];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  // Text columns left-aligned, numbers right-aligned.
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...body.map(line)].join('\n');
}

/** Lines about anything that does not look like a healthy run. */
export function notes(results: readonly PhaseResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    const what = `${r.op} ${sizeLabel(r.size)}`;
    const opName = r.op === 'get' ? 'read' : 'write';
    if (r.protocol.operations !== r.count) {
      out.push(`${what}: ${r.count} requests made ${r.protocol.operations} ${opName} operations (expected one each)`);
    }
    if (r.protocol.failed > 0) out.push(`${what}: ${r.protocol.failed} ${opName} operations failed inside the gateway`);
    const x = row(r);
    if (x.rounds_per_op !== null && x.rounds_per_op !== HEALTHY_ROUNDS) {
      out.push(`${what}: ${x.rounds_per_op} rounds per ${opName} (expected ${HEALTHY_ROUNDS})`);
    }
  }
  return out;
}

export interface BigCheck {
  readonly peakMiB: number;
  readonly ok: boolean;
}

/** The gateway's peak while the 2 GiB object was put and got back, or null without --big. */
export function bigCheck(results: readonly PhaseResult[]): BigCheck | null {
  const big = results.filter((r) => r.size === BIG.size);
  if (big.length === 0) return null;
  const peakMiB = Math.max(...big.map((r) => gatewayPeak(r.peaks)));
  return { peakMiB, ok: peakMiB < GATEWAY_BUDGET_BYTES / MiB };
}

export function bigCheckLine(c: BigCheck): string {
  return `gateway peak RSS while ${sizeLabel(BIG.size)} was put and got back: ${c.peakMiB.toFixed(1)} MiB, ` +
    `${c.ok ? 'under' : 'OVER'} the ${GATEWAY_BUDGET_BYTES / MiB} MiB bound`;
}

/** "gateway 250.1 MiB, largest node 120.3 MiB" */
export function peaksLine(p: Peaks): string {
  return `gateway ${gatewayPeak(p).toFixed(1)} MiB, largest node ${nodeMax(p).toFixed(1)} MiB`;
}

export function json(t: number, results: readonly PhaseResult[], overall: Peaks, redis = false, scale: ScaleFigures | null = null): string {
  return JSON.stringify({
    bench: 'powerstore',
    t,
    ...(redis ? { redis: true } : {}),
    // The format: op "put" or "get". Overwrites go beside it.
    results: results.filter((r) => r.op !== 'overwrite').map(row),
    overwrites: results.filter((r) => r.op === 'overwrite').map(row),
    peak_rss_mb: { gateway: round(gatewayPeak(overall), 1), node_max: round(nodeMax(overall), 1) },
    ...(scale ? { scale } : {}),
  });
}

export interface SummaryInput {
  readonly args: BenchArgs;
  /** Storage nodes in the cluster. */
  readonly nodes: number;
  readonly results: readonly PhaseResult[];
  readonly overall: Peaks;
  readonly failed: PhaseError | null;
  /** With --scale, once the plan completed. */
  readonly scale?: ScaleResult | null;
}

/** Everything printed on stdout; the JSON line last, and only for a complete run. */
export function summary(s: SummaryInput): string[] {
  const big = bigCheck(s.results);
  const out = [
    `PoWerStore S3 bench: t=${s.args.t} (gateway + ${s.nodes} storage nodes, one machine), ` +
      `${s.args.quick ? 'quick' : 'full'} run${s.args.big ? ' + big' : ''}`,
    'MB/s and ops/s over each phase\'s wall time (MB = 10^6 bytes); latency per request, a GET\'s to its last byte;',
    'rounds/op = protocol rounds per write (put, overwrite: the same keys again) or read (get) operation; peak RSS in MiB (2^20 bytes) during the phase;',
    `cpu = cores busy on average during the phase (gateway / all ${s.nodes} nodes / this bench client);`,
    'cpu ms/op and ms/MB = CPU milliseconds the gateway + all nodes spent per operation and per MB (each process\'s own counter).',
    '',
    table(s.results),
    '',
    ...notes(s.results).map((n) => `note: ${n}`),
    ...(big ? [bigCheckLine(big)] : []),
    `peak RSS over the whole run: ${peaksLine(s.overall)}`,
    ...(s.scale ? scaleLines(s.scale) : []),
  ];
  if (s.failed) {
    // A run that lost or corrupted an object has no numbers worth comparing: no JSON.
    return [...out, `FAILED: ${s.failed.message}`, `  peak RSS during that phase: ${peaksLine(s.failed.peaks)}`];
  }
  return [...out, json(s.args.t, s.results, s.overall, s.args.redis, s.scale ? scaleFigures(s.scale) : null)];
}
