// Whether each storage node answers, checked every few seconds, so that a
// node going down or coming back is a warn line in the gateway's log and the
// gauge powerstore_node_up, not only a debug line among failed calls
// (operations review §3: a dead node never showed at info).

import type { Logger } from '@powerstore/shared/log.js';
import type { NodeHealth } from '@powerstore/shared/node-api.js';

export interface Watchable {
  health(signal: AbortSignal): Promise<NodeHealth>;
}

export interface NodeWatchOptions {
  readonly intervalMs: number;
  /** A health answer slower than this counts as down. */
  readonly timeoutMs: number;
  readonly log: Logger;
  /** Called with each node's state on every check (the up and capacity gauges): its health answer, or null when down. */
  readonly report?: (node: number, health: NodeHealth | null) => void;
}

export const DEFAULT_NODE_WATCH = { intervalMs: 5000, timeoutMs: 3000 } as const;

export class NodeWatch {
  /** null until the first check: nothing is logged for a node that was up from the start. */
  private readonly up: (boolean | null)[];
  private readonly lastHealth: (NodeHealth | null)[];
  private readonly since: number[];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly nodes: readonly Watchable[], private readonly o: NodeWatchOptions) {
    this.up = nodes.map(() => null);
    this.lastHealth = nodes.map(() => null);
    this.since = nodes.map(() => Date.now());
  }

  /** Nodes that answered their last check. */
  upCount(): number {
    return this.up.filter((u) => u === true).length;
  }

  /** The least disk free among the nodes that answered their last check, or null. */
  minDiskFree(): number | null {
    const free = this.lastHealth.filter((h): h is NodeHealth => h !== null).map((h) => h.diskFreeBytes);
    return free.length ? Math.min(...free) : null;
  }

  start(): void {
    void this.checkNow();
    this.timer = setInterval(() => void this.checkNow(), this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One check of every node (one at a time per watch: a slow check is not stacked). */
  checkNow(): Promise<void> {
    this.running ??= this.checkAll().finally(() => (this.running = null));
    return this.running;
  }

  private async checkAll(): Promise<void> {
    await Promise.all(this.nodes.map(async (n, i) => {
      let error: string | null = null;
      let health: NodeHealth | null = null;
      try {
        health = await n.health(AbortSignal.timeout(this.o.timeoutMs));
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      this.lastHealth[i] = health;
      this.o.report?.(i, health);
      this.note(i, error);
    }));
  }

  private note(node: number, error: string | null): void {
    const up = error === null;
    const was = this.up[node];
    this.up[node] = up;
    if (was === up) return;
    const now = Date.now();
    const afterS = Math.round((now - this.since[node]!) / 1000);
    this.since[node] = now;
    if (!up) this.o.log.warn({ node, err: error }, `storage node ${node} does not answer`);
    else if (was === false) this.o.log.warn({ node, downS: afterS }, `storage node ${node} answers again after ${afterS} s`);
  }
}
