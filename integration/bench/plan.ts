// Which object sizes the bench runs, how many of each and how many at once.
// Every size is put, then got back, in its own fresh bucket.

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

export interface SizeSpec {
  readonly size: number;
  readonly count: number;
  readonly concurrency: number;
}

const FULL: readonly SizeSpec[] = [
  { size: 4 * KiB, count: 2000, concurrency: 16 },
  { size: 1 * MiB, count: 200, concurrency: 8 },
  { size: 64 * MiB, count: 8, concurrency: 2 },
];

// Same sizes and concurrency, fewer objects: the shape of the run is kept so
// quick numbers are comparable, only noisier.
const QUICK: readonly SizeSpec[] = [
  { size: 4 * KiB, count: 300, concurrency: 16 },
  { size: 1 * MiB, count: 40, concurrency: 8 },
  { size: 64 * MiB, count: 2, concurrency: 2 },
];

/** Objects up to this size get a warm-up of their own before the phases (warmUpFor). */
const WARM_SIZE_MAX = 8 * MiB;
/** The most operations, and about the most bytes, a size's warm-up puts (and gets back). */
const WARM_COUNT_MAX = 500;
const WARM_BYTES = 32 * MiB;

/**
 * What the bench puts and gets, untimed, before its phases: each small and
 * mid-size path a phase measures runs here first, so the phase does not
 * measure V8 compiling it. A 1 MiB PUT runs code a 4 KiB one never does
 * (the digest worker, whole-fragment stores, segment appends), and its
 * first phase paid for that: six alternating full runs each way, medians
 * (2026-12-08), warming only with 4 KiB objects against warming with 32 of
 * 1 MiB too: 1 MiB PUT gateway 9.44 against 7.39 ms a MB (the warmed runs
 * at 6.8-8.7, the cold ones at 8.5-11.1), nodes 10.13 against 9.47; 1 MiB GET
 * 7.18 against 6.30 ms a MB (gateway and nodes); every other phase within
 * the runs' noise. `--log-function-events` on a gateway over 900 PUTs of
 * 1 MiB: 127 TurboFan compiles, most in the first ten seconds, and no
 * deoptimization loop. Objects above WARM_SIZE_MAX take seconds a phase,
 * and the smaller ones' warm-up has run most of their code by then.
 */
export function warmUpFor(plan: readonly SizeSpec[]): SizeSpec[] {
  return plan
    .filter((s) => s.size <= WARM_SIZE_MAX)
    .map((s) => ({ size: s.size, count: Math.min(WARM_COUNT_MAX, Math.max(1, Math.ceil(WARM_BYTES / s.size))), concurrency: s.concurrency }));
}

/** The memory bound: the gateway stays under 256 MiB while this object goes up and back. */
export const BIG: SizeSpec = { size: 2 * GiB, count: 1, concurrency: 1 };
export const GATEWAY_BUDGET_BYTES = 256 * MiB;

export function planFor(opts: { quick: boolean; big: boolean }): SizeSpec[] {
  return [...(opts.quick ? QUICK : FULL), ...(opts.big ? [BIG] : [])];
}

/** "4 KiB", "64 MiB", "2 GiB": sizes here are all whole binary units. */
export function sizeLabel(bytes: number): string {
  if (bytes >= GiB && bytes % GiB === 0) return `${bytes / GiB} GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} B`;
}
