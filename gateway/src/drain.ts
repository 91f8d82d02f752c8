// Stopping without cutting requests off (operations review §3: a SIGTERM
// used to close every connection at once, failing uploads in flight). The
// listener closes, idle keep-alive connections end, and requests in flight get
// up to a grace period to finish; every answer given meanwhile says
// `Connection: close`, so its client reconnects elsewhere or later. What still
// runs at the deadline is cut off: an upload cut off never becomes visible
// (nothing does before its commit), and its client retries.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Seconds a SIGTERM leaves requests in flight to finish (the gateway's --drain-grace-s). */
export const DEFAULT_DRAIN_GRACE_S = 30;

export interface Drain {
  /** Requests being answered now. */
  inFlight(): number;
  /** Stops accepting, waits up to graceMs for the requests in flight, then closes every connection. Resolves with how many were cut off. */
  drain(graceMs: number): Promise<number>;
}

export function trackForDrain(server: Server): Drain {
  const open = new Set<ServerResponse>();
  let draining = false;
  let idle: (() => void) | null = null;
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    open.add(res);
    if (draining) res.shouldKeepAlive = false;
    res.once('close', () => {
      open.delete(res);
      if (open.size === 0) idle?.();
    });
  });
  return {
    inFlight: () => open.size,
    async drain(graceMs) {
      draining = true;
      // Answers not yet begun close their connection once sent.
      for (const res of open) if (!res.headersSent) res.shouldKeepAlive = false;
      server.close();
      server.closeIdleConnections();
      if (open.size > 0 && graceMs > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          idle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      const cut = open.size;
      server.closeAllConnections();
      return cut;
    },
  };
}
