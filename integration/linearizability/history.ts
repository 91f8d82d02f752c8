// The history format the checker reads: one record per client operation
// against the S3 API, as seen by the client. Times are numbers on one
// monotonic clock shared by every client of the history (performance.now()
// milliseconds, hrtime nanoseconds as numbers, ...: any unit, same for all).
//
// Contract:
// - `invoke` is taken before the request is sent, `complete` after the full
//   response was received; an operation may take effect at any point between.
// - No `complete` means the outcome is unknown (crashed, timed out, ambiguous
//   5xx): the operation may or may not have taken effect, at any point after
//   `invoke`. Such reads constrain nothing; such writes are optional.
// - Equal times do not order operations: `a` precedes `b` only when
//   `a.complete < b.invoke` strictly.
// - Every put writes a value id that no other put of the history writes
//   (e.g. a random id stored in the object body or metadata); null is the
//   "absent" value, written by delete and held by every key initially.

/** A put's unique value id. */
export type ValueId = string;

/** What a read saw: a value id, or null for "absent" (404 / not listed). */
export type Observed = ValueId | null;

/**
 * What a list showed for the keys of its universe: the value id of each
 * listed key. A key of the universe that is missing (or mapped to null) was
 * not listed. Maps are accepted as well as plain objects (an object is read
 * through its own properties only).
 */
export type ListResult = ReadonlyMap<string, Observed> | Readonly<Record<string, Observed>>;

interface Timed {
  /** Who issued the operation; only used in explanations. */
  readonly client: string;
  readonly invoke: number;
  /** Absent: outcome unknown. Otherwise `complete >= invoke`. */
  readonly complete?: number;
}

export interface PutOp extends Timed {
  readonly kind: 'put';
  readonly key: string;
  readonly value: ValueId;
}

export interface DeleteOp extends Timed {
  readonly kind: 'delete';
  readonly key: string;
}

export interface ReadOp extends Timed {
  readonly kind: 'get' | 'head';
  readonly key: string;
  /** Required when `complete` is set; ignored otherwise. */
  readonly result?: Observed;
}

export interface ListOp extends Timed {
  readonly kind: 'list';
  /** The key universe: every key the list could have shown. */
  readonly keys: readonly string[];
  /** Required when `complete` is set; ignored otherwise. */
  readonly result?: ListResult;
}

export type Operation = PutOp | DeleteOp | ReadOp | ListOp;
export type OpKind = Operation['kind'];

/** What a list showed for `key` (null: not listed). */
export function listedValue(result: ListResult, key: string): Observed {
  if (result instanceof Map) return (result as ReadonlyMap<string, Observed>).get(key) ?? null;
  const rec = result as Readonly<Record<string, Observed>>;
  return Object.hasOwn(rec, key) ? (rec[key] ?? null) : null;
}

/** The keys a list result mentions (listed or explicitly null). */
export function listedKeys(result: ListResult): string[] {
  return result instanceof Map ? [...(result as ReadonlyMap<string, Observed>).keys()] : Object.keys(result);
}
