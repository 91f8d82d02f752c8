// Group commit: every durable change of the node runs inside the next SQLite
// transaction, and callers wait until that transaction is on disk. Batching
// many stores and completes into one commit is how a node goes past one
// fsync per operation (FACTS.md: ~1900 fsync'd small files/s caps a naive
// design near 480 small PUTs/s).
//
// The transaction commits on the event loop without an fsync (WAL,
// synchronous=NORMAL); `sync` (an fdatasync of the WAL file) then runs in
// libuv's thread pool, and the transaction's callers are answered when it
// returns. Ops queued while a sync runs wait for it and then commit in one
// transaction, which the next sync covers. With synchronous=FULL the fsync
// ran inside the commit, on the event loop: every commit stalled every
// request of the node for the disk's flush (a third of a node's wall time
// under small PUTs, issue 11).
// The price: between a commit and its sync, the database shows changes
// that are not durable yet, so an answer must not go out before `durable()`
// (server.ts and the blocks route wait for it: "nothing is revealed before
// it is durable"). Syncs run one at a time.

import type Database from 'better-sqlite3';

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

export class GroupCommitter {
  private queue: Array<() => void> = [];
  private waiters: Waiter[] = [];
  private scheduled = false;
  /** Transactions committed to the database, durable or not. */
  private committed = 0;
  /** Transactions known to be on disk (every one up to this number). */
  private synced = 0;
  private syncing = false;
  /** Waiting for the sync that covers transaction `seq`. */
  private unsynced: Array<Waiter & { readonly seq: number }> = [];
  /** A failed sync: the disk's state is unknown, so nothing is acked or answered again. */
  private failure: unknown = null;

  constructor(
    private readonly db: Database.Database,
    /** Makes every transaction committed before the call durable. */
    private readonly sync: () => Promise<void>,
    /**
     * Told, before the ops' callers, that a transaction rolled back: what an
     * op cached of its own writes is not in the database (lc-cache.ts).
     */
    private readonly rolledBack: () => void = () => {},
  ) {}

  /** Runs `op` inside the next transaction; resolves once it is durable. */
  run(op: () => void): Promise<void> {
    this.queue.push(op);
    return this.next();
  }

  /** Resolves once everything queued so far is durable. */
  barrier(): Promise<void> {
    return this.queue.length === 0 ? this.durable() ?? Promise.resolve() : this.next();
  }

  /**
   * Resolves once every transaction committed so far is durable; null when
   * they all are already (the common case costs no promise). An answer
   * computed from the database waits for this before it is sent.
   */
  durable(): Promise<void> | null {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.synced === this.committed) return null;
    const seq = this.committed;
    return new Promise<void>((resolve, reject) => this.unsynced.push({ seq, resolve, reject }));
  }

  private next(): Promise<void> {
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule();
    return p;
  }

  /**
   * The next transaction, at the next turn of the event loop; while a sync
   * runs, once it has returned. Ops queued meanwhile could not be answered
   * before the next sync anyway, and committed together they cost one
   * transaction (its pages written to the WAL once, one commit) instead of
   * one each turn (commits were an eighth of a node's samples under small
   * PUTs, issue 11; over 2,000 of them, 690 syncs before and 229 after).
   */
  private schedule(): void {
    if (this.scheduled || this.syncing) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const ops = this.queue;
    const waiters = this.waiters;
    this.queue = [];
    this.waiters = [];
    if (this.failure !== null) {
      for (const w of waiters) w.reject(this.failure);
      return;
    }
    try {
      this.db.transaction(() => {
        for (const op of ops) op();
      })();
    } catch (e) {
      // Rolled back: nothing of it reached the database, nothing to sync.
      this.rolledBack();
      for (const w of waiters) w.reject(e);
      return;
    }
    const seq = ++this.committed;
    for (const w of waiters) this.unsynced.push({ seq, ...w });
    this.startSync();
  }

  private startSync(): void {
    if (this.syncing || this.synced === this.committed || this.failure !== null) return;
    this.syncing = true;
    const upTo = this.committed;
    this.sync().then(
      () => {
        this.syncing = false;
        this.synced = upTo;
        const done = this.unsynced.filter((w) => w.seq <= upTo);
        this.unsynced = this.unsynced.filter((w) => w.seq > upTo);
        for (const w of done) w.resolve();
        if (this.queue.length > 0) this.schedule();
      },
      (e: unknown) => {
        this.syncing = false;
        this.failure = e;
        const all = this.unsynced;
        this.unsynced = [];
        for (const w of all) w.reject(e);
        // Ops queued behind the sync are refused too (flush, on the failure).
        if (this.queue.length > 0) this.schedule();
      },
    );
  }
}
