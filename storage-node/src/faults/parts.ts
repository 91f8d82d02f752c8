// false-missing: the part registers this node has claimed to lack (in
// refused completions), so a store of one of them (the gateway's heal) is
// recognised by its first frame and never taken. Memory only, bounded.

/** Part registers remembered at most (then new claims are not remembered: their heals are taken). */
const MAX_CLAIMED = 100_000;

export class ClaimedMissing {
  private readonly regs = new Set<string>();

  add(ns: string, key: string): void {
    if (this.regs.size < MAX_CLAIMED) this.regs.add(`${ns}\u0000${key}`);
  }

  has(ns: string, key: string): boolean {
    return this.regs.has(`${ns}\u0000${key}`);
  }
}
