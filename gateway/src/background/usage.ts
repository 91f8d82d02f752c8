// Objects and bytes stored per bucket, for capacity planning and alerts
// (operations review §3: nothing to alert "the backup target is 80% full"
// on). A pass lists every bucket (delete markers skipped, sizes from the
// listing's metadata: no object is read) every intervalMs; the figures are
// the gauges powerstore_bucket_objects / powerstore_bucket_bytes and a part
// of /_powerstore/health. A listing costs one to two seconds per 10,000
// objects; passes are spaced so that they take at most USAGE_DUTY of the time.

import type { Logger } from '@powerstore/shared/log.js';
import type { BucketNs, BucketRegistry } from '../buckets.js';
import { decodeMeta } from '../object-meta.js';
import type { ProtocolContext } from '../protocol/context.js';
import { listMerged } from '../protocol/list/list-merge.js';

export interface BucketUsage {
  readonly objects: number;
  /** Object bytes as clients see them (not the erasure-coded bytes on the nodes). */
  readonly bytes: number;
}

export interface UsageSnapshot {
  /** When the pass that made it ended (ISO time). */
  readonly at: string;
  readonly buckets: Readonly<Record<string, BucketUsage>>;
}

export const DEFAULT_USAGE_INTERVAL_S = 300;

/**
 * The share of the time passes may take. A pass lists every object, which
 * over 100,000 objects took 15-30 s of both cores of a two-core machine:
 * every five minutes, that was a tenth of the cluster's time, and it is all
 * of it from about a million objects on. So the next pass waits the interval
 * or 19 times as long as the last pass took, whichever is longer.
 */
export const USAGE_DUTY = 0.05;

/** Milliseconds from the end of a pass that took `lastPassMs` to the start of the next. */
export function nextPassDelay(intervalMs: number, lastPassMs: number): number {
  return Math.max(intervalMs, Math.ceil(lastPassMs * (1 / USAGE_DUTY - 1)));
}

/** One bucket's visible objects and their bytes, from its listing. */
export async function bucketUsage(ctx: ProtocolContext, bucket: BucketNs, signal: AbortSignal): Promise<BucketUsage> {
  let objects = 0;
  let bytes = 0;
  let after: string | null = null;
  for (;;) {
    const page = await listMerged(ctx, { ns: bucket, prefix: '', after, skipPrefix: false, limit: 1000 }, signal);
    for (const e of page.entries) {
      const m = decodeMeta(e.meta);
      if (m.deleteMarker) continue;
      objects++;
      bytes += m.size;
    }
    if (!page.truncated || page.lastKey === null) return { objects, bytes };
    after = page.lastKey;
  }
}

export interface UsageWatchOptions {
  readonly intervalMs: number;
  readonly log: Logger;
  /** Called after each pass with every bucket's figures (the gauges). */
  readonly report?: (s: UsageSnapshot) => void;
}

export class UsageWatch {
  private last: UsageSnapshot | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly stopping = new AbortController();

  constructor(private readonly ctx: ProtocolContext, private readonly buckets: BucketRegistry, private readonly o: UsageWatchOptions) {}

  /** The latest pass's figures, or null before the first one ended. */
  snapshot(): UsageSnapshot | null {
    return this.last;
  }

  start(): void {
    const run = async (): Promise<void> => {
      const t0 = performance.now();
      await this.refresh();
      if (this.stopping.signal.aborted) return;
      this.timer = setTimeout(() => void run(), nextPassDelay(this.o.intervalMs, performance.now() - t0));
      this.timer.unref();
    };
    void run();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.stopping.abort(new Error('stopping'));
    await this.running;
  }

  /** One pass (a pass already running is joined, not doubled). */
  refresh(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<void> {
    const signal = this.stopping.signal;
    try {
      const out: Record<string, BucketUsage> = {};
      for (const b of await this.buckets.list(signal)) out[b.name] = await bucketUsage(this.ctx, b.ns, signal);
      this.last = { at: new Date().toISOString(), buckets: out };
      this.o.report?.(this.last);
    } catch (e) {
      // Too few nodes, or stopping: the last figures stand, and the next pass tries again.
      if (!signal.aborted) this.o.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'usage pass failed');
    }
  }
}
