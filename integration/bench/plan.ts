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
