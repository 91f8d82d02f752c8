// A write with no clock hint may guess that its register holds nothing and
// skip the clock round (issue 11: a write of two rounds, not three). A guess
// is a hint of nothing, so DESIGN §7's argument covers it as it covers a
// stale or lying cache: the q store acks include a correct node whose lc
// covers every write and read completed before, and an ack reporting an lc
// at or past the write's ts sends it through clock and a second store.
//
// A wrong guess costs a round more than the clock round it saved (and, for
// a small object, its fragments sent twice), so guessing pays only while
// most guesses hold: new keys hold; a key another writer (or this gateway
// before a restart, under another writer id) wrote usually does not. This
// keeps the outcomes of the last writes that had no hint, the guesses made
// and, while not guessing, what each clock round found, and guesses only
// while few of them failed.

import { compareTs, type Timestamp } from '@powerstore/shared/protocol/timestamp.js';

/** Outcomes remembered. */
const WINDOW = 32;
/** Guess only while at most this many of them failed. */
const MAX_FAILED = 8;
const EMPTY = Buffer.alloc(0);

export class ClockGuess {
  /** Ring of the last outcomes: true where a guess held (or would have). */
  private readonly outcomes: boolean[] = [];
  private next = 0;
  private failed = 0;

  /** Whether a write with no hint should guess now. */
  shouldGuess(): boolean {
    return this.failed <= MAX_FAILED;
  }

  /** A guess's outcome, or what clock's answer says one would have been. */
  record(held: boolean): void {
    if (this.outcomes.length < WINDOW) this.outcomes.push(held);
    else {
      if (!this.outcomes[this.next]!) this.failed--;
      this.outcomes[this.next] = held;
    }
    if (!held) this.failed++;
    this.next = (this.next + 1) % WINDOW;
  }
}

/**
 * Whether a guess by `writer` would have held, given the highest ts a clock
 * round found: a guess's ts has num 1, and holds when it is above that
 * (this gateway's own ts at num 1 are below it: its op numbers only grow).
 */
export function guessWouldHold(highest: Timestamp | null, writer: string): boolean {
  return highest === null || compareTs(highest, { num: 1, writer, op: Number.MAX_SAFE_INTEGER, epoch: 0, tag: EMPTY }) < 0;
}
