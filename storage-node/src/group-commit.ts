// Group commit: every durable change of the node runs inside the next SQLite
// transaction, and callers wait until that transaction is committed (WAL,
// synchronous=FULL: fsync'd). Batching many stores and completes into one
// commit is how a node goes past one fsync per operation (FACTS.md: ~1900
// fsync'd small files/s caps a naive design near 480 small PUTs/s).

import type Database from 'better-sqlite3';

export class GroupCommitter {
  private queue: Array<() => void> = [];
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;

  constructor(private readonly db: Database.Database) {}

  /** Runs `op` inside the next transaction; resolves once it is durable. */
  run(op: () => void): Promise<void> {
    this.queue.push(op);
    return this.next();
  }

  /** Resolves once everything queued so far is durable. */
  barrier(): Promise<void> {
    return this.queue.length === 0 ? Promise.resolve() : this.next();
  }

  private next(): Promise<void> {
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return p;
  }

  private flush(): void {
    this.scheduled = false;
    const ops = this.queue;
    const waiters = this.waiters;
    this.queue = [];
    this.waiters = [];
    let error: unknown = null;
    try {
      this.db.transaction(() => {
        for (const op of ops) op();
      })();
    } catch (e) {
      error = e;
    }
    for (const w of waiters) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }
}
