// The one quorum-call helper (STYLE.md §7). Every protocol round goes
// through it; handlers never hand-roll Promise.all over nodes.
//
// Strategy:
// - The call goes to every node at once, each with its own timeout, so a
//   silent node never stalls a round: it simply never counts. Or, with
//   `spare`, to `need` nodes first and to the others when one of those fails,
//   does not count, or is late (a grace, not a timeout), or when all of them
//   answered and `until` still wants more.
// - An answer counts when the call resolves and `accept` (if given) agrees;
//   a rejected call or an unaccepted answer does not count.
// - The round finishes as soon as `need` answers counted and `until` (if
//   given) holds. It fails with QuorumError once too few calls remain
//   pending for that to ever happen.
// - Stragglers are not cancelled: they run to completion or to their own
//   timeout in the background (so a healthy cluster ends with every node
//   written), and their answers still reach `onLate`.

import { QuorumError } from '@powerstore/shared/errors.js';

export interface QuorumOptions<T> {
  /** Answers that must count before the round may finish. */
  readonly need: number;
  /** Per-node timeout in milliseconds. */
  readonly timeoutMs: number;
  /** Whether an answer counts toward `need` (default: every answer counts). */
  readonly accept?: (node: number, value: T) => boolean;
  /** Called for every answer received before the round finishes, counted or not. */
  readonly onAnswer?: (node: number, value: T) => void;
  /** Extra stop condition, evaluated after each answer once `need` is reached. */
  readonly until?: () => boolean;
  /** Called for answers that arrive after the round finished. */
  readonly onLate?: (node: number, value: T) => void;
  /** Called for every failed call (error or timeout). */
  readonly onError?: (node: number, err: unknown) => void;
  /** Aborts the whole round (for example, the S3 client went away). */
  readonly signal?: AbortSignal;
  /** What the round is, for error messages. */
  readonly what: string;
  /**
   * Ask only `need` nodes at first (the first in the order given) and keep
   * the others as spares: one more is asked whenever an asked node fails or
   * its answer does not count, and all that are left once the grace runs
   * out without the round finishing, so a silent or slow node costs a grace,
   * not the timeout. The grace is `graceMs` from the start, or, once a first
   * answer counted after e ms, `factor` × e (at least `floorMs`) if that is
   * sooner: a node much slower than its peers is passed over, however the
   * machine's load moves answer times. For rounds where any `need` answers
   * serve alike and every node asked pays for its answer (a listing page).
   * `overdue` hears which asked nodes had not answered when the grace ran out.
   */
  readonly spare?: {
    readonly graceMs: number;
    readonly factor: number;
    readonly floorMs: number;
    readonly overdue: (nodes: number[]) => void;
  };
}

export interface Target {
  readonly index: number;
}

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** Runs fn with a timeout and an abort signal that fires on either. */
export async function withTimeout<T>(
  ms: number,
  outer: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ctl = new AbortController();
  const onAbort = (): void => ctl.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new TimeoutError(`timed out after ${ms} ms`);
      ctl.abort(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([fn(ctl.signal), timeout]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}

export function quorumCall<N extends Target, T>(
  nodes: readonly N[],
  call: (node: N, signal: AbortSignal) => Promise<T>,
  opts: QuorumOptions<T>,
): Promise<Map<number, T>> {
  return new Promise((resolve, reject) => {
    const counted = new Map<number, T>();
    let pending = nodes.length;
    let done = false;
    const errors: string[] = [];
    // Calls made so far (nodes[0..asked)), and which of them settled.
    let asked = 0;
    const answered = new Set<number>();
    let grace: NodeJS.Timeout | undefined;
    let firstCounted: (() => void) | undefined;
    // One controller and one timer for the whole round: every call starts at
    // once, so a per-round deadline is each node's own timeout. It also
    // carries the caller's abort to every call.
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(new TimeoutError(`timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs);
    // The caller's abort ends the round at once and cuts off every call.
    const onOuterAbort = (): void => {
      ctl.abort(opts.signal?.reason);
      finish(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
    };
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    const expired = new Promise<never>((_, rej) => ctl.signal.addEventListener('abort', () => rej(ctl.signal.reason), { once: true }));
    expired.catch(() => undefined);

    const settleOne = (): void => {
      if (--pending === 0) {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onOuterAbort);
      }
    };
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(grace);
      // Spares never asked will not settle: the round's timer and abort
      // listener go once the calls that were made settle.
      if (asked < nodes.length) {
        pending -= nodes.length - asked;
        asked = nodes.length;
        if (pending === 0) {
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onOuterAbort);
        }
      }
      if (err) reject(err);
      else resolve(counted);
    };
    if (opts.signal?.aborted) {
      clearTimeout(timer);
      return finish(opts.signal.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
    }

    const check = (): void => {
      if (done) return;
      if (counted.size >= opts.need && (!opts.until || opts.until())) return finish();
      if (counted.size + pending < opts.need || pending === 0) finish(new QuorumError(opts.what, counted.size, opts.need, errors));
    };

    const ask = (node: N): void => {
      asked++;
      Promise.race([call(node, ctl.signal), expired]).then(
        (value) => {
          answered.add(node.index);
          settleOne();
          if (done) {
            opts.onLate?.(node.index, value);
            return;
          }
          opts.onAnswer?.(node.index, value);
          if (!opts.accept || opts.accept(node.index, value)) {
            counted.set(node.index, value);
            if (counted.size === 1) firstCounted?.();
          } else askSpare();
          check();
          // Every asked node answered and the round still cannot finish
          // (`until` wants more): waiting out the grace would only delay.
          if (!done && answered.size === asked) askSpare();
        },
        (err: unknown) => {
          answered.add(node.index);
          settleOne();
          opts.onError?.(node.index, err);
          errors.push(`node ${node.index}: ${err instanceof Error ? err.message : String(err)}`);
          if (!done) askSpare();
          check();
        },
      );
    };
    const askSpare = (): void => {
      if (asked < nodes.length) ask(nodes[asked]!);
    };
    if (opts.spare && nodes.length > opts.need) {
      const { graceMs, factor, floorMs, overdue } = opts.spare;
      const started = performance.now();
      const outOfGrace = (): void => {
        if (done) return;
        overdue(nodes.slice(0, asked).map((n) => n.index).filter((i) => !answered.has(i)));
        while (asked < nodes.length) askSpare();
      };
      grace = setTimeout(outOfGrace, graceMs);
      firstCounted = () => {
        const e = performance.now() - started;
        const at = Math.max(floorMs, factor * e);
        if (at >= graceMs) return;
        clearTimeout(grace);
        grace = setTimeout(outOfGrace, Math.max(0, at - e));
      };
      for (let i = 0; i < opts.need; i++) ask(nodes[i]!);
    } else {
      for (const node of nodes) ask(node);
    }
    if (nodes.length === 0) {
      clearTimeout(timer);
      check();
    }
  });
}
