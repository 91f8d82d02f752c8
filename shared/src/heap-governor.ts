// How far V8 may let a process's heap grow between full collections,
// chosen by how close the process is to its memory bound (256 MB, issue 11).
//
// The gateway. V8 sets the next full collection at up to four times what
// the last one left. A gateway's garbage is mostly request objects that
// outlived two scavenges of its 4 MB semi-space (runtime.ts; a listing
// page's parsed entries, a body's chunk wrappers) and the Buffers they hold, which are
// freed only with them; so between full collections the heap and external
// memory pile up. Held at `--heap-growing-percent=100` (twice what
// survived) for the whole life of the gateway, `npm run bench -- --quick
// --scale --scale-objects 100000 --list-keys 100000` measured its peak RSS
// storing and listing at 207 and 222 MiB against 262 and 303; but every
// full collection marks the gateway's 20 MB of live objects, and 1 MiB
// PUTs cost the gateway 15.5 ms of CPU against 12.5 (medians of five
// alternating `--quick` runs). So, as Go's soft memory limit (GOMEMLIMIT)
// does, growth is held tight only while RSS is near the bound, and V8 is
// left its own factor while it is well under.
//
// The storage node has the opposite trouble. V8's own factor follows how
// fast the program allocates against how fast the collector marks, and a
// node receiving a large fragment allocates few JS objects (it hashes and
// writes bytes), so V8 chose a factor near its minimum: the next full
// collection came after about 1 MB more of old generation, every 100-300 ms
// during 64 MiB PUTs (--trace-gc: 19-23 mark-compacts a node over ten such
// PUTs), and under perf the marking was about a quarter of a node's CPU.
// Its heap is small (about 10 MB live), so a fixed factor of four while it
// is well under its bound costs it at most a few tens of MB: one
// mark-compact a node over the same ten PUTs, and the nodes' CPU a 64 MiB
// PUT 262-274 ms against 395-468 (--heap-growing-percent=300, a /tmp load
// script). Near the bound it is held at twice, like the gateway.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface HeapGrowthPolicy {
  /** RSS at or above which growth is held tight. */
  readonly tightenAtBytes: number;
  /** RSS below which V8 gets its own factor back (under tightenAt: no flapping at one value). */
  readonly relaxBelowBytes: number;
  /** The old generation's growth while tight: percent over what the last full collection left. */
  readonly tightPercent: number;
  /** The growth while relaxed, the same way; 0 leaves V8 its own factor. */
  readonly relaxedPercent: number;
  /** How often RSS is read (process.memoryUsage.rss(): one read of /proc/self/stat). */
  readonly everyMs: number;
  /**
   * RSS at or above which the process collects all it can at once (reclaim):
   * held growth bounds the heap, not the pages V8 keeps after collecting, nor
   * the memory freed Buffers leave in glibc's arena. Absent: never.
   */
  readonly reclaimAtBytes?: number;
  /** Reclaims at most this often. */
  readonly reclaimEveryMs?: number;
}

const MiB = 1024 * 1024;

/** Where growth is held tight, and how tight: the gateway's and the node's alike. */
const HELD_GROWTH = { tightenAtBytes: 200 * MiB, relaxBelowBytes: 176 * MiB, tightPercent: 100, everyMs: 500 } as const;

/**
 * The gateway. Reclaim: in the full bench its RSS climbed through the small
 * objects' phases (136 MiB after the warm-up, 249 after 4 KiB overwrites)
 * and the 64 MiB phases took it to 255.9-259.4 MiB in four of 29 runs
 * (docs/performance.md). At a plateau of 197 MiB under 4 KiB GETs
 * a collection of everything (`gc` of flavor last-resort: 81 ms) took it to
 * 145 MiB, V8's heap from 71 to 24 MiB committed and Buffers' memory from
 * 24 to 5; an ordinary full collection (28 ms) freed as much of the heap but
 * no RSS (V8 kept its pages, glibc its arena). Once every 10 s at most, from
 * 232 MiB: about 50 MiB back, 24 MiB short of the 256 MiB bound.
 */
export const GATEWAY_HEAP_GROWTH: HeapGrowthPolicy = { ...HELD_GROWTH, relaxedPercent: 0, reclaimAtBytes: 232 * MiB, reclaimEveryMs: 10_000 };

/** The node: the gateway's levels, a fixed factor of four while relaxed; no reclaim (its peaks stay far under its bound). */
export const NODE_HEAP_GROWTH: HeapGrowthPolicy = { ...HELD_GROWTH, relaxedPercent: 300 };

/** Whether to reclaim now, at `rss`, the last reclaim having been at `lastAt` (ms; null: none yet). */
export function reclaimDue(p: HeapGrowthPolicy, rss: number, now: number, lastAt: number | null): boolean {
  if (p.reclaimAtBytes === undefined || rss < p.reclaimAtBytes) return false;
  return lastAt === null || now - lastAt >= (p.reclaimEveryMs ?? 0);
}

/** Whether growth is tight after reading `rss`, given whether it was. */
export function heapGrowthTight(p: HeapGrowthPolicy, rss: number, tight: boolean): boolean {
  return tight ? rss >= p.relaxBelowBytes : rss >= p.tightenAtBytes;
}

/** Sets the old generation's growth: `percent` over what survives, or 0 for V8's own factor. V8 reads it at every full collection. */
export function setHeapGrowingPercent(percent: number): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}

export interface HeapGovernorIo {
  readonly rss: () => number;
  readonly setPercent: (percent: number) => void;
  /** Told each change (for the log). */
  readonly onChange?: (tight: boolean, rss: number) => void;
  /** Collects all it can, synchronously (policies with reclaimAtBytes). */
  readonly reclaim?: () => void;
  /** Told each reclaim: RSS before and after, and how long it took (ms). */
  readonly onReclaim?: (before: number, after: number, ms: number) => void;
  /** ms now (Date.now unless given). */
  readonly now?: () => number;
}

type GcFunction = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
let gcFunction: GcFunction | null = null;

/**
 * V8's `gc`, without starting the process with --expose-gc: the flag set now
 * exposes it to contexts made from now on, and a fresh context hands it back.
 * Flavor last-resort: V8's collection of all it can, the one it runs near its
 * heap limit (several full collections, compacting, giving pages back).
 */
export function collectAll(): void {
  if (!gcFunction) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as GcFunction;
  }
  gcFunction({ type: 'major', execution: 'sync', flavor: 'last-resort' });
}

/** This process's RSS and V8. */
export const PROCESS_HEAP: HeapGovernorIo = { rss: () => process.memoryUsage.rss(), setPercent: setHeapGrowingPercent, reclaim: collectAll };

/**
 * Reads RSS every `p.everyMs` and sets the growth when the policy's answer
 * changes (and at once, when the relaxed growth is not V8's own), and
 * reclaims when the policy says so; returns the stop function.
 */
export function governHeapGrowth(p: HeapGrowthPolicy, io: HeapGovernorIo): () => void {
  let tight = false;
  let reclaimedAt: number | null = null;
  const now = io.now ?? Date.now;
  if (p.relaxedPercent !== 0) io.setPercent(p.relaxedPercent);
  const tick = (): void => {
    const rss = io.rss();
    if (io.reclaim && reclaimDue(p, rss, now(), reclaimedAt)) {
      const started = performance.now();
      io.reclaim();
      reclaimedAt = now();
      io.onReclaim?.(rss, io.rss(), performance.now() - started);
    }
    const next = heapGrowthTight(p, rss, tight);
    if (next === tight) return;
    tight = next;
    io.setPercent(tight ? p.tightPercent : p.relaxedPercent);
    io.onChange?.(tight, rss);
  };
  tick();
  const timer = setInterval(tick, p.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
