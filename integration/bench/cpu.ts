// CPU time of the cluster's processes and of the bench itself over a phase.
// On a two-core machine the client competes with the cluster for the same
// cores, so a throughput figure means little without knowing who was busy.

import { readFileSync } from 'node:fs';
import type { Watched } from './rss.js';

// /proc reports times in USER_HZ ticks, which Linux fixes at 100 per second.
const TICKS_PER_S = 100;

/** utime + stime of a process in seconds, or null once it is gone. */
function processCpuS(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_S;
  } catch {
    return null;
  }
}

export interface CpuShare {
  /** CPU seconds per second of wall time (1.0 = one core busy). */
  readonly gateway: number;
  /** All storage nodes together. */
  readonly nodes: number;
  /** This process: the SDK, signing, generating and checking bodies. */
  readonly client: number;
  /** CPU seconds spent over the phase (each process's own counter, after minus before; the client's too). */
  readonly usedS: { readonly gateway: number; readonly nodes: number; readonly client: number };
}

export class CpuMeter {
  private readonly startedAt = performance.now();
  private readonly client = process.cpuUsage();
  private readonly start: Map<string, number>;

  constructor(private readonly procs: readonly Watched[]) {
    this.start = this.read();
  }

  stop(): CpuShare {
    const wallS = (performance.now() - this.startedAt) / 1000;
    const end = this.read();
    let gateway = 0;
    let nodes = 0;
    for (const [name, s] of end) {
      const used = s - (this.start.get(name) ?? s);
      if (name === 'gateway') gateway += used;
      else nodes += used;
    }
    const c = process.cpuUsage(this.client);
    const client = (c.user + c.system) / 1e6;
    return { gateway: gateway / wallS, nodes: nodes / wallS, client: client / wallS, usedS: { gateway, nodes, client } };
  }

  private read(): Map<string, number> {
    const m = new Map<string, number>();
    for (const p of this.procs) {
      const s = processCpuS(p.pid);
      if (s !== null) m.set(p.name, s);
    }
    return m;
  }
}
