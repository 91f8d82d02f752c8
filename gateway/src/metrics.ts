// The gateway's Prometheus metrics and the protocol observer that feeds
// them. Rounds per operation can be read off as
// powerstore_protocol_rounds_total{op} / powerstore_protocol_operations_total{op}.

import { RecentRequests } from './admin/samples.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '@powerstore/shared/log.js';
import type { Evidence, EvidenceKind } from '@powerstore/shared/protocol/evidence.js';
import type { OpKind, ProtocolObserver } from './protocol/context.js';

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly rounds = new Counter({
    name: 'powerstore_protocol_rounds_total', help: 'Protocol rounds, by operation kind',
    labelNames: ['op'] as const, registers: [this.registry],
  });
  readonly operations = new Counter({
    name: 'powerstore_protocol_operations_total', help: 'Protocol operations, by kind and outcome',
    labelNames: ['op', 'outcome'] as const, registers: [this.registry],
  });
  readonly evidence = new Counter({
    name: 'powerstore_node_evidence_total', help: 'Proofs of node misbehaviour, by node and kind',
    labelNames: ['node', 'kind'] as const, registers: [this.registry],
  });
  readonly lag = new Counter({
    name: 'powerstore_node_lag_total', help: 'Reads a node answered with an older value than the one chosen (lag, never evidence)',
    labelNames: ['node'] as const, registers: [this.registry],
  });
  readonly trouble = new Counter({
    name: 'powerstore_node_trouble_total', help: 'Failed or dropped node calls (lag or unreachability, never evidence)',
    labelNames: ['node', 'what'] as const, registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'powerstore_s3_requests_total', help: 'S3 requests by operation and HTTP status',
    labelNames: ['op', 'status'] as const, registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'powerstore_s3_request_seconds', help: 'S3 request latency by operation',
    labelNames: ['op'] as const, registers: [this.registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
  });

  /** Requests since the status page's last sample (admin/samples.ts). */
  readonly recent = new RecentRequests();
  readonly nodeUp = new Gauge({
    name: 'powerstore_node_up', help: 'Whether the storage node answered the gateway\'s last health check (every 5 s): 1 or 0',
    labelNames: ['node'], registers: [this.registry],
  });
  readonly bucketObjects = new Gauge({
    name: 'powerstore_bucket_objects', help: 'Objects in the bucket (the last usage pass)',
    labelNames: ['bucket'], registers: [this.registry],
  });
  readonly bucketBytes = new Gauge({
    name: 'powerstore_bucket_bytes', help: 'Bytes of the bucket\'s objects as clients see them (the last usage pass)',
    labelNames: ['bucket'], registers: [this.registry],
  });
  readonly nodeBytes = new Gauge({
    name: 'powerstore_node_bytes', help: 'Fragment bytes the storage node holds (its last health answer)',
    labelNames: ['node'], registers: [this.registry],
  });
  readonly nodeDiskFree = new Gauge({
    name: 'powerstore_node_disk_free_bytes', help: 'Free bytes on the storage node\'s data disk (its last health answer)',
    labelNames: ['node'], registers: [this.registry],
  });
  readonly nodeDiskTotal = new Gauge({
    name: 'powerstore_node_disk_total_bytes', help: 'Size of the storage node\'s data disk (its last health answer)',
    labelNames: ['node'], registers: [this.registry],
  });
  readonly keyEpoch = new Gauge({
    name: 'powerstore_key_epoch', help: 'The key epoch new writes use (advances when a key rotation reaches this gateway)',
    registers: [this.registry],
  });
  readonly keyEpochsHeld = new Gauge({
    name: 'powerstore_key_epochs_held', help: 'Key epochs this gateway holds (all still verify)',
    registers: [this.registry],
  });
  readonly unknownEpochs = new Counter({
    name: 'powerstore_key_unknown_epoch_total', help: 'Keys asked for of an epoch newer than any held (the ring is re-read from Redis at once)',
    registers: [this.registry],
  });
  readonly credentialReloads = new Counter({
    name: 'powerstore_credential_reloads_total', help: 'SIGHUP reloads of the S3 credentials, by result (ok; failed: the previous credentials stayed)',
    labelNames: ['result'] as const, registers: [this.registry],
  });
  /** Set by the assembly: the Redis link's status, read at each scrape. */
  redisProbe: (() => 'ok' | 'degraded' | 'absent') | null = null;
  readonly redisUp = new Gauge({
    name: 'powerstore_redis_up', help: 'Redis (an optional cache): 1 answering, 0 degraded, -1 not configured',
    registers: [this.registry],
    collect: () => {
      const s = this.redisProbe?.() ?? 'absent';
      this.redisUp.set(s === 'ok' ? 1 : s === 'degraded' ? 0 : -1);
    },
  });
  readonly redisErrors = new Counter({
    name: 'powerstore_redis_errors_total', help: 'Failed Redis commands (swallowed: Redis is a cache), by purpose',
    labelNames: ['what'] as const, registers: [this.registry],
  });
  readonly clockHints = new Counter({
    name: 'powerstore_clock_hints_total', help: 'Clock hint lookups and puts, by result',
    labelNames: ['result'] as const, registers: [this.registry],
  });

  // The background scrub (scrub.ts; off unless --scrub-interval-s is set).
  readonly scrubPasses = new Counter({
    name: 'powerstore_scrub_passes_total', help: 'Scrub passes ended, by outcome (healthy, healed, unhealthy, error)',
    labelNames: ['outcome'] as const, registers: [this.registry],
  });
  readonly scrubCopies = new Counter({
    name: 'powerstore_scrub_copies_total', help: 'Node copies of history entries checked by the scrub, by node and state (ok, missing, corrupt, unreadable, unreachable)',
    labelNames: ['node', 'state'] as const, registers: [this.registry],
  });
  readonly scrubHeals = new Counter({
    name: 'powerstore_scrub_heals_total', help: 'Copies the scrub tried to heal, by node and outcome (healed: verified afterwards; failed)',
    labelNames: ['node', 'outcome'] as const, registers: [this.registry],
  });
  readonly scrubRunning = new Gauge({
    name: 'powerstore_scrub_running', help: '1 while a scrub pass runs',
    registers: [this.registry],
  });
  readonly scrubLastPassSeconds = new Gauge({
    name: 'powerstore_scrub_last_pass_seconds', help: 'Duration of the last completed scrub pass',
    registers: [this.registry],
  });
  readonly scrubLastPassEnd = new Gauge({
    name: 'powerstore_scrub_last_pass_end_timestamp_seconds', help: 'Unix time the last completed scrub pass ended',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}

/** Evidence and trouble tallies per node, for /_powerstore/health. */
export class NodeTally {
  readonly evidence = new Map<number, Map<EvidenceKind, number>>();
  readonly trouble = new Map<number, { count: number; last: string; at: number }>();
  /** Reads each node answered behind the chosen value. */
  readonly lag = new Map<number, number>();
}

export function protocolObserver(m: GatewayMetrics, tally: NodeTally, log: Logger): ProtocolObserver {
  return {
    round: (op: OpKind) => m.rounds.inc({ op }),
    operation: (op: OpKind, ok: boolean) => m.operations.inc({ op, outcome: ok ? 'ok' : 'error' }),
    evidence: (e: Evidence) => {
      m.evidence.inc({ node: String(e.node), kind: e.kind });
      let k = tally.evidence.get(e.node);
      if (!k) tally.evidence.set(e.node, (k = new Map()));
      k.set(e.kind, (k.get(e.kind) ?? 0) + 1);
      log.warn({ node: e.node, kind: e.kind, detail: e.detail }, 'evidence of node misbehaviour');
    },
    badHint: () => m.clockHints.inc({ result: 'bad_tag' }),
    clockGuess: (held: boolean) => m.clockHints.inc({ result: held ? 'guess_held' : 'guess_stale' }),
    nodeLag: (node: number) => {
      m.lag.inc({ node: String(node) });
      tally.lag.set(node, (tally.lag.get(node) ?? 0) + 1);
    },
    nodeTrouble: (node: number, what: string, err: unknown) => {
      m.trouble.inc({ node: String(node), what });
      const msg = err instanceof Error ? err.message : String(err);
      const t = tally.trouble.get(node);
      tally.trouble.set(node, { count: (t?.count ?? 0) + 1, last: `${what}: ${msg}`, at: Date.now() });
      log.debug({ node, what, err: msg }, 'node call failed');
    },
  };
}
