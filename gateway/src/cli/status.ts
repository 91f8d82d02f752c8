// `powerstore status`: whether the cluster named by a gateway config file can
// serve, asked of each storage node directly (no gateway need run): one line
// per node (answers or not, latency, registers and history entries held), and
// a verdict: healthy (every node answers), degraded (at most t do not: every
// operation still completes), or UNAVAILABLE (more than t do not).
// Exit code 0 healthy, 1 otherwise.

import type { GatewayConfig } from '../config.js';
import { RemoteNode } from '../nodes/remote-node.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';

export interface NodeStatus {
  readonly node: number;
  readonly url: string;
  readonly up: boolean;
  readonly latencyMs: number | null;
  readonly registers: number | null;
  readonly histEntries: number | null;
  readonly bytes: number | null;
  readonly diskFreeBytes: number | null;
  readonly error?: string;
}

export type Verdict = 'healthy' | 'degraded' | 'unavailable';

export function verdictOf(nodes: readonly NodeStatus[], t: number): Verdict {
  const down = nodes.filter((n) => !n.up).length;
  return down === 0 ? 'healthy' : down <= t ? 'degraded' : 'unavailable';
}

export async function clusterStatus(cfg: GatewayConfig, timeoutMs = 3000): Promise<NodeStatus[]> {
  const keys = new SecretWriterKeyring(cfg.secrets, cfg.currentEpoch);
  const nodes = cfg.nodes.map((url, index) => new RemoteNode({ index, url, keys, S: cfg.params.S, requestTimeoutMs: timeoutMs, ca: cfg.nodeCa }));
  try {
    return await Promise.all(nodes.map(async (n, i): Promise<NodeStatus> => {
      const started = performance.now();
      try {
        const h = await n.health(AbortSignal.timeout(timeoutMs));
        return { node: i, url: cfg.nodes[i]!, up: true, latencyMs: Math.round(performance.now() - started), registers: h.registers, histEntries: h.histEntries, bytes: h.bytes, diskFreeBytes: h.diskFreeBytes };
      } catch (e) {
        return { node: i, url: cfg.nodes[i]!, up: false, latencyMs: null, registers: null, histEntries: null, bytes: null, diskFreeBytes: null, error: e instanceof Error ? e.message : String(e) };
      }
    }));
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
  }
}

/** 1.5 GiB, 300 MiB, 12 KiB, 10 B; '-' when unknown. */
export function size(b: number | null): string {
  if (b === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = b;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function statusLines(nodes: readonly NodeStatus[], t: number): string[] {
  const rows = [['NODE', 'URL', 'STATE', 'LATENCY', 'REGISTERS', 'HISTORY', 'STORED', 'DISK FREE'],
    ...nodes.map((n) => [String(n.node), n.url, n.up ? 'up' : `DOWN (${n.error ?? 'no answer'})`,
      n.latencyMs === null ? '-' : `${n.latencyMs} ms`, String(n.registers ?? '-'), String(n.histEntries ?? '-'), size(n.bytes), size(n.diskFreeBytes)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const up = nodes.filter((n) => n.up).length;
  const v = verdictOf(nodes, t);
  const say = v === 'healthy' ? 'healthy' : v === 'degraded'
    ? `degraded: ${nodes.length - up} node${nodes.length - up === 1 ? '' : 's'} down, at most t=${t} may be: every operation still completes`
    : `UNAVAILABLE: ${nodes.length - up} nodes down, more than t=${t}: operations cannot complete`;
  return [...rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()), `cluster: ${up} of ${nodes.length} nodes answer (t=${t}): ${say}`];
}
