// Which nodes a round that needs only some of them asks first (quorum.ts's
// `spare` option). A listing's first node is drawn at random, so every
// node serves its share of pages (turn by turn would not: an S3 page is a
// 1,000-key round and then a 1-key one, and taking turns, the big rounds
// fell to the same nodes); a read asks in index order (preferred()). Either
// way a node that was late or failed lately goes last, so a silent or slow
// node costs one grace, not one grace a page, for as long as it stays so. In
// memory, per gateway: nothing here is trusted beyond ordering.

import type { QuorumOptions, Target } from './quorum.js';

/** How long a late or failed node stays at the back of the order. */
const PENALTY_MS = 30_000;

export class AskOrder {
  /** node index → until when it goes last (ms since the epoch). */
  private readonly lastUntil = new Map<number, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** The nodes in the order to ask them: from a random one on, the ones late or failed lately at the back. */
  order<N extends Target>(nodes: readonly N[]): N[] {
    const start = Math.floor(this.random() * nodes.length);
    return this.preferred([...nodes.slice(start), ...nodes.slice(0, start)]);
  }

  /**
   * The nodes in the order given (index order, for a read's rounds), the
   * ones late or failed lately at the back. The first q nodes are the ones that send a small
   * fragment along with filter (any q of them carry k), and the first k hold
   * the data shards a large read fetches without decoding.
   */
  preferred<N extends Target>(nodes: readonly N[]): N[] {
    // Loops, not filter callbacks made per call (README, "V8's compiler").
    const t = this.now();
    const ahead: N[] = [];
    const behind: N[] = [];
    for (const n of nodes) ((this.lastUntil.get(n.index) ?? 0) > t ? behind : ahead).push(n);
    return ahead.concat(behind);
  }

  /** A node asked first did not answer in time, failed, or broke the rules. */
  demote(node: number): void {
    this.lastUntil.set(node, this.now() + PENALTY_MS);
  }
}

/**
 * quorumCall's `spare` option for a round where any q answers serve alike:
 * a spare is asked once an asked node is 500 ms late (of the 10 s node
 * timeout), or three times as late as the first answer took if that is
 * sooner (at least 100 ms), and a node that was late goes last for a while.
 */
export function spareAfterGrace(order: AskOrder, rpcMs: number): NonNullable<QuorumOptions<unknown>['spare']> {
  return {
    graceMs: rpcMs / 20,
    factor: 3,
    floorMs: rpcMs / 100,
    overdue: (late: number[]): void => late.forEach((n) => order.demote(n)),
  };
}
