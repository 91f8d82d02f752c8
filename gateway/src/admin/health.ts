// /_powerstore/health: each node up or down with its latency, the evidence
// held against it, and its recent trouble (lag, unreachability); the
// cluster's live gateways and the state of Redis (ok / degraded / absent).
// `status` (and the 503) depends on the nodes only: Redis is a cache, and a
// gateway without it still serves correctly, so a load balancer must not
// drop it for that.

import type { NodeApi } from '@powerstore/shared/node-api.js';
import type { ClusterParams } from '@powerstore/shared/protocol/params.js';
import type { NodeTally } from '../metrics.js';
import { withTimeout } from '../protocol/quorum.js';
import type { RedisStatus } from '../redis/link.js';
import type { UsageSnapshot } from '../background/usage.js';
import type { GatewayRecord } from '../redis/schema.js';

export interface HealthReport {
  readonly status: 'ok' | 'degraded' | 'unavailable';
  readonly t: number;
  readonly nodes: readonly NodeReport[];
  readonly writer: string;
  /** Redis: ok, degraded (unreachable, slow, or its key ring does not open), absent (not configured). */
  readonly redis: RedisStatus;
  /** Live gateways as Redis knows them (only this one without Redis, or while it fails). */
  readonly gateways: readonly GatewayRecord[];
  /** Objects and bytes per bucket from the last usage pass (usage.ts), or null before one ended (or with usage off). */
  readonly usage: UsageSnapshot | null;
}

/** Where the report's Redis part comes from (redis/cache.ts). */
export type Census = () => Promise<{ redis: RedisStatus; gateways: readonly GatewayRecord[]; usage?: UsageSnapshot | null }>;

export interface NodeReport {
  readonly index: number;
  readonly url?: string;
  readonly up: boolean;
  readonly latencyMs: number | null;
  readonly registers?: number;
  readonly histEntries?: number;
  /** Capacity: fragment bytes held, and the node's disk free and total. */
  readonly bytes?: number;
  readonly diskFreeBytes?: number;
  readonly diskTotalBytes?: number;
  readonly error?: string;
  readonly evidence: Record<string, number>;
  /** Reads this node answered with an older value than the one chosen: a sign it missed writes. */
  readonly lagging: number;
  readonly trouble: { count: number; last: string; at: string } | null;
}

export async function healthReport(
  params: ClusterParams,
  nodes: readonly (NodeApi & { url?: string })[],
  tally: NodeTally,
  writer: string,
  census: Census = () => Promise.resolve({ redis: 'absent', gateways: [] }),
): Promise<HealthReport> {
  const cluster = withTimeout(2000, undefined, () => census()).catch(() => ({ redis: 'degraded' as const, gateways: [], usage: null }));
  const reports = await Promise.all(nodes.map(async (n): Promise<NodeReport> => {
    const started = performance.now();
    const evidence = Object.fromEntries(tally.evidence.get(n.index) ?? []);
    const t = tally.trouble.get(n.index);
    const trouble = t ? { count: t.count, last: t.last, at: new Date(t.at).toISOString() } : null;
    const lagging = tally.lag.get(n.index) ?? 0;
    const base = { index: n.index, ...(n.url ? { url: n.url } : {}), evidence, lagging, trouble };
    try {
      const h = await withTimeout(2000, undefined, (signal) => n.health(signal));
      return { ...base, up: h.ok, latencyMs: Math.round((performance.now() - started) * 100) / 100, registers: h.registers, histEntries: h.histEntries,
        bytes: h.bytes, diskFreeBytes: h.diskFreeBytes, diskTotalBytes: h.diskTotalBytes };
    } catch (err) {
      return { ...base, up: false, latencyMs: null, error: err instanceof Error ? err.message : String(err) };
    }
  }));
  const up = reports.filter((r) => r.up).length;
  const status = up === params.S ? 'ok' : up >= params.q ? 'degraded' : 'unavailable';
  const { redis, gateways, usage } = await cluster;
  return { status, t: params.t, nodes: reports, writer, redis, gateways, usage: usage ?? null };
}
