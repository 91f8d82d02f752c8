// One nemesis run (issue "Prove it", DESIGN §12): a real cluster (t, several
// gateways, fault modes on up to t nodes, optional Redis clock hints), the
// workload of workload.ts, nemesis events while it runs (SIGKILL and restart
// of nodes, SIGKILL of a gateway mid-write), final reads of every key, and
// the linearizability check of the whole recorded history.

import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { checkHistory, HistoryRecorder, type Violation } from '../linearizability/index.js';
import { adminGet, startTestCluster, type TestCluster } from '../harness/cluster.js';
import { startTestRedis, type TestRedis } from '../harness/redis.js';
import { mulberry32 } from '../linearizability/testing/prng.js';
import { runWorkload, type OpMix, type WorkloadStats } from './workload.js';

export type NemesisEvent = 'kill-nodes' | 'restart-faulty' | 'kill-gateway';

export interface NemesisOptions {
  readonly t: number;
  readonly gateways: number;
  readonly clients: number;
  readonly keys: number;
  readonly ops: number;
  readonly faulty?: ReadonlyMap<number, readonly string[]>;
  readonly events?: readonly NemesisEvent[];
  readonly redis?: boolean;
  readonly weakenedRead?: boolean;
  readonly mix?: OpMix;
  readonly seed?: number;
}

/** Latency of the operations that completed, in ms. */
export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface NemesisResult {
  readonly ops: number;
  /** Over the workload's completed operations (final reads excluded). */
  readonly latency: Latency;
  readonly stats: WorkloadStats;
  readonly violations: readonly Violation[];
  readonly unknown: boolean;
  readonly events: string[];
  readonly evidence: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runNemesis(o: NemesisOptions): Promise<NemesisResult> {
  let redis: TestRedis | null = null;
  let tc: TestCluster | null = null;
  const clients: S3Client[] = [];
  try {
    if (o.redis) redis = await startTestRedis();
    tc = await startTestCluster({
      t: o.t,
      gateways: o.gateways,
      ...(o.faulty ? { faulty: o.faulty } : {}),
      ...(redis ? { redis: redis.url } : {}),
      ...(o.weakenedRead ? { weakenedRead: true } : {}),
    });
    const cluster = tc.cluster;
    for (let c = 0; c < o.clients; c++) {
      clients.push(tc.client({ endpoint: cluster.endpointOf(c % o.gateways), maxAttempts: 1 }));
    }
    await clients[0]!.send(new CreateBucketCommand({ Bucket: 'nemesis' }));
    const keys = Array.from({ length: o.keys }, (_, i) => `key-${i}`);
    const rec = new HistoryRecorder();
    const rand = mulberry32(o.seed ?? 1);
    const log: string[] = [];

    // Nemesis events run beside the workload until it ends.
    let running = true;
    const nemesis = (async () => {
      const events = o.events ?? [];
      let gatewayKilled = false;
      while (running) {
        await sleep(600 + rand() * 900);
        if (!running) break;
        const ev = events[Math.floor(rand() * events.length)];
        if (ev === 'kill-nodes') {
          const victims = [...Array(cluster.params.S).keys()].sort(() => rand() - 0.5).slice(0, o.t);
          log.push(`SIGKILL nodes ${victims.join(',')}`);
          await Promise.all(victims.map((i) => cluster.killNode(i)));
          await sleep(500 + rand() * 1000);
          await Promise.all(victims.map((i) => cluster.startNode(i)));
        } else if (ev === 'restart-faulty') {
          for (const i of o.faulty?.keys() ?? []) {
            log.push(`restart node ${i}`);
            await cluster.killNode(i, 'SIGKILL');
            await cluster.startNode(i);
          }
        } else if (ev === 'kill-gateway' && !gatewayKilled && o.gateways > 1) {
          gatewayKilled = true;
          log.push('SIGKILL gateway 1');
          await cluster.killGateway(1);
          await sleep(800);
          await cluster.startGateway(1);
        }
      }
    })();
    const stats = await runWorkload(rec, { clients, bucket: 'nemesis', keys, ops: o.ops, mix: o.mix ?? 'full', seed: o.seed ?? 1 });
    running = false;
    await nemesis;
    const latency = latencyOf(rec.ops().flatMap((op) => (op.complete === undefined ? [] : [op.complete - op.invoke])));

    // Final reads of every key, through a healthy path, close the history.
    for (const key of keys) {
      const finals = await runFinalRead(rec, clients[0]!, key);
      stats.completed += finals;
    }
    const check = checkHistory(rec.ops());
    const text = await (await adminGet(cluster.endpoint, '/_powerstore/metrics')).text();
    const evidence = text.split('\n').filter((l) => l.startsWith('powerstore_node_evidence_total')).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    return { ops: rec.ops().length, latency, stats, violations: check.violations, unknown: check.unknown, events: log, evidence };
  } finally {
    for (const c of clients) c.destroy();
    await tc?.dispose();
    await redis?.dispose();
  }
}

export function latencyOf(ms: readonly number[]): Latency {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 };
}

async function runFinalRead(rec: HistoryRecorder, s3: S3Client, key: string): Promise<number> {
  const h = rec.invoke('final', 'head', key);
  try {
    const r = await s3.send(new HeadObjectCommand({ Bucket: 'nemesis', Key: key }));
    rec.complete(h, r.Metadata?.v ?? null);
  } catch (e) {
    if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) rec.complete(h, null);
    else rec.fail(h);
  }
  return 1;
}
