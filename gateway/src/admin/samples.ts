// The gateway's own samples for the status page's plots (the last hour):
// every SAMPLE_MS, the S3 request rate, the share of server errors, p50 and
// p99 latency over that interval, nodes answering, bytes stored and the
// least disk free of any node. Kept in memory, so a restart starts a new
// hour; Prometheus (/_powerstore/metrics) is the place for long history.

export const SAMPLE_MS = 10_000;
/** The first sample after a start. */
const FIRST_SAMPLE_MS = 1000;
/** An hour of samples. */
export const SAMPLES_KEPT = 360;
/** Latencies kept per interval for its percentiles (a uniform sample beyond that). */
const RESERVOIR = 2048;

/** Requests since the last sample: counted, and their latencies sampled. */
export class RecentRequests {
  private count = 0;
  private errors = 0;
  private readonly ms: number[] = [];

  record(ms: number, status: number): void {
    this.count++;
    if (status >= 500) this.errors++;
    if (this.ms.length < RESERVOIR) this.ms.push(ms);
    else {
      // Reservoir sampling: each request of the interval equally likely kept.
      const j = Math.floor(Math.random() * this.count);
      if (j < RESERVOIR) this.ms[j] = ms;
    }
  }

  /** The interval's figures, and a fresh interval. */
  take(): { count: number; errors: number; p50: number | null; p99: number | null } {
    const sorted = this.ms.splice(0).sort((a, b) => a - b);
    const at = (p: number): number | null => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : null);
    const out = { count: this.count, errors: this.errors, p50: at(50), p99: at(99) };
    this.count = 0;
    this.errors = 0;
    return out;
  }
}

export interface Sample {
  /** Epoch ms at the end of the interval. */
  readonly t: number;
  readonly requestsPerS: number;
  readonly serverErrorsPerS: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly nodesUp: number;
  readonly bytesStored: number | null;
  readonly minDiskFreeBytes: number | null;
}

export interface SampleSources {
  readonly recent: RecentRequests;
  /** Nodes that answered the last health check. */
  nodesUp(): number;
  /** Object bytes over all buckets (the last usage pass), or null. */
  bytesStored(): number | null;
  /** The least disk free of the nodes that answered, or null. */
  minDiskFree(): number | null;
}

export class Samples {
  private readonly kept: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private last = Date.now();

  constructor(private readonly src: SampleSources, private readonly everyMs = SAMPLE_MS) {}

  start(): void {
    // A first point soon after start, so the page has something to draw.
    this.first = setTimeout(() => this.take(), FIRST_SAMPLE_MS);
    this.first.unref();
    this.timer = setInterval(() => this.take(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.first ?? undefined);
    if (this.timer) clearInterval(this.timer);
  }

  private first: NodeJS.Timeout | null = null;

  /** Oldest first. */
  all(): readonly Sample[] {
    return this.kept;
  }

  take(now = Date.now()): Sample {
    const seconds = Math.max(0.001, (now - this.last) / 1000);
    this.last = now;
    const r = this.src.recent.take();
    const s: Sample = {
      t: now,
      requestsPerS: r.count / seconds,
      serverErrorsPerS: r.errors / seconds,
      p50Ms: r.p50,
      p99Ms: r.p99,
      nodesUp: this.src.nodesUp(),
      bytesStored: this.src.bytesStored(),
      minDiskFreeBytes: this.src.minDiskFree(),
    };
    this.kept.push(s);
    if (this.kept.length > SAMPLES_KEPT) this.kept.shift();
    return s;
  }
}
