// What --scale prints: its figures against the goals, and the object that
// goes into the bench's JSON line as "scale".

import { row, type CpuSplit } from './report.js';
import { SCALE_GOALS, type ScaleResult } from './scale.js';
import type { PhaseResult } from './phase.js';
import type { Peaks } from './rss.js';

const total = (c: CpuSplit): number => c.gateway + c.nodes;
const r3 = (x: number): number => Number(x.toFixed(3));

/** t=2 nodes over t=1 nodes: 7/4, the most CPU per operation may grow. */
const NODE_RATIO = 7 / 4;

export interface ScaleFigures {
  readonly objects: number;
  readonly put_ratio: number;
  readonly get_ratio: number;
  readonly list_keys: number;
  readonly list_keys_per_s: number;
  readonly fill_ops_per_s: number;
  /** CPU ms per op (gateway + nodes) at t=2 over t=1. */
  readonly cpu_growth_put: number;
  readonly cpu_growth_get: number;
  readonly node_ratio: number;
  readonly goals_met: boolean;
  /** Peak RSS (MiB) while storing the objects and while listing them: the gateway, and the largest node. */
  readonly fill_peak_rss_mb: PeakPair;
  readonly list_peak_rss_mb: PeakPair;
  /** CPU microseconds per key listed: the gateway, the nodes summed, and this bench client (the AWS SDK). */
  readonly list_cpu_us_per_key: { readonly gateway: number; readonly nodes: number; readonly client: number };
}

interface PeakPair { readonly gateway: number; readonly node_max: number }

function peakPair(p: Peaks): PeakPair {
  const nodes = [...p].filter(([name]) => name !== 'gateway').map(([, mib]) => mib);
  return { gateway: Number((p.get('gateway') ?? 0).toFixed(1)), node_max: Number(Math.max(0, ...nodes).toFixed(1)) };
}

function cpuGrowth(t1: PhaseResult, t2: PhaseResult): number {
  return total(row(t2).cpu_ms_per_op) / total(row(t1).cpu_ms_per_op);
}

export function scaleFigures(s: ScaleResult): ScaleFigures {
  const putRatio = row(s.full.put).opsps / row(s.empty.put).opsps;
  const getRatio = row(s.full.get).opsps / row(s.empty.get).opsps;
  const listRate = s.list.keys / s.list.seconds;
  const growthPut = cpuGrowth(s.empty.put, s.t2.put);
  const growthGet = cpuGrowth(s.empty.get, s.t2.get);
  return {
    objects: s.objects,
    put_ratio: r3(putRatio),
    get_ratio: r3(getRatio),
    list_keys: s.list.keys,
    list_keys_per_s: Math.round(listRate),
    fill_ops_per_s: Math.round(s.objects / s.fillS),
    cpu_growth_put: r3(growthPut),
    cpu_growth_get: r3(growthGet),
    node_ratio: r3(NODE_RATIO),
    fill_peak_rss_mb: peakPair(s.fillPeaks),
    list_peak_rss_mb: peakPair(s.listPeaks),
    list_cpu_us_per_key: {
      gateway: Number((s.listCpu.usedS.gateway * 1e6 / s.list.keys).toFixed(1)),
      nodes: Number((s.listCpu.usedS.nodes * 1e6 / s.list.keys).toFixed(1)),
      client: Number((s.listCpu.usedS.client * 1e6 / s.list.keys).toFixed(1)),
    },
    goals_met: putRatio >= SCALE_GOALS.rateRatio && getRatio >= SCALE_GOALS.rateRatio &&
      listRate >= SCALE_GOALS.listKeysPerS && growthPut <= NODE_RATIO && growthGet <= NODE_RATIO,
  };
}

const mark = (ok: boolean): string => (ok ? 'met' : 'NOT met');

export function scaleLines(s: ScaleResult): string[] {
  const f = scaleFigures(s);
  const rate = (p: PhaseResult): string => `${row(p).opsps.toFixed(1)}/s`;
  const cpu = (p: PhaseResult): string => `${total(row(p).cpu_ms_per_op).toFixed(2)} ms`;
  return [
    `scale: ${f.objects} objects of 4 KiB stored at ${f.fill_ops_per_s}/s`,
    `scale: 4 KiB put ${rate(s.empty.put)} empty, ${rate(s.full.put)} with them stored: ${(f.put_ratio * 100).toFixed(1)}% ` +
      `(goal >= ${SCALE_GOALS.rateRatio * 100}%: ${mark(f.put_ratio >= SCALE_GOALS.rateRatio)})`,
    `scale: 4 KiB get ${rate(s.empty.get)} empty, ${rate(s.full.get)} with them stored: ${(f.get_ratio * 100).toFixed(1)}% ` +
      `(goal >= ${SCALE_GOALS.rateRatio * 100}%: ${mark(f.get_ratio >= SCALE_GOALS.rateRatio)})`,
    `scale: ListObjectsV2 of ${f.list_keys} keys at ${f.list_keys_per_s} keys/s ` +
      `(goal >= ${SCALE_GOALS.listKeysPerS}: ${mark(f.list_keys_per_s >= SCALE_GOALS.listKeysPerS)}); CPU us per key: ` +
      `gateway ${f.list_cpu_us_per_key.gateway}, nodes ${f.list_cpu_us_per_key.nodes}, client ${f.list_cpu_us_per_key.client}`,
    `scale: peak RSS MiB storing: gateway ${f.fill_peak_rss_mb.gateway}, largest node ${f.fill_peak_rss_mb.node_max}; ` +
      `listing: gateway ${f.list_peak_rss_mb.gateway}, largest node ${f.list_peak_rss_mb.node_max}`,
    `scale: cpu per op t=1 -> t=2: put ${cpu(s.empty.put)} -> ${cpu(s.t2.put)} (x${f.cpu_growth_put.toFixed(2)}), ` +
      `get ${cpu(s.empty.get)} -> ${cpu(s.t2.get)} (x${f.cpu_growth_get.toFixed(2)}); nodes x${f.node_ratio.toFixed(2)} ` +
      `(goal: growth <= nodes: ${mark(f.cpu_growth_put <= NODE_RATIO && f.cpu_growth_get <= NODE_RATIO)})`,
  ];
}
