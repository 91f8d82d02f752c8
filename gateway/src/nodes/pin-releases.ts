// A node's pin releases, gathered (DESIGN §6). A read ends by releasing its
// pins at every node, and nothing waits for that: the pin only holds back the
// node's garbage collection, and a lost release lapses with its lease. So a
// release is not sent as a message of its own: the releases for one node
// wait up to HOLD_MS and go together, as one pin message in the next batch
// (issue 11: a node's cost, and the gateway's, is per message; a message per
// release was 4 of a 4 KiB GET's 12).

import { MAX_RELEASES, type PinRelease } from '@powerstore/shared/protocol/wire/node-messages.js';

/** Longest a release waits for others; well inside the pin lease (PIN_LEASE_MS, a minute). */
export const RELEASE_HOLD_MS = 20;

interface Group {
  readonly rs: PinRelease[];
  readonly sent: Promise<boolean>;
  readonly go: () => void;
}

export class PinReleases {
  /** The releases waiting for the next message, and that message's answer. */
  private group: Group | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Sends one message releasing every read listed; its answer. */
    private readonly send: (rs: readonly PinRelease[]) => Promise<boolean>,
    private readonly holdMs = RELEASE_HOLD_MS,
  ) {}

  /** Queues one release; settles as the message that carries it is answered (or fails). */
  add(r: PinRelease): Promise<boolean> {
    let g = this.group;
    if (!g) {
      const rs: PinRelease[] = [];
      let go!: () => void;
      const sent = new Promise<void>((res) => (go = res)).then(() => this.send(rs));
      g = this.group = { rs, sent, go };
      this.timer = setTimeout(() => void this.flush(), this.holdMs).unref();
    }
    g.rs.push(r);
    if (g.rs.length >= MAX_RELEASES) void this.flush();
    return g.sent;
  }

  /** Sends what waits now (a full message, the hold's end, the gateway closing); its answer. */
  flush(): Promise<boolean> | null {
    const g = this.group;
    if (!g) return null;
    this.group = null;
    clearTimeout(this.timer);
    this.timer = undefined;
    g.go();
    return g.sent;
  }
}
