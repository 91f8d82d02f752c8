// Peak resident memory (RSS) of the cluster's processes, per phase and over
// the whole run, in MiB (2^20 bytes). The kernel keeps each process's peak
// RSS (VmHWM in /proc/<pid>/status) exactly; writing "5" to
// /proc/<pid>/clear_refs resets it to the current RSS, which is how each
// phase gets a peak of its own. VmRSS is also sampled every 100 ms: it stands
// in where the reset is refused (then VmHWM would still hold earlier phases'
// peaks), though it can miss spikes shorter than the interval.

import { readFileSync, writeFileSync } from 'node:fs';

export interface Watched {
  readonly name: string;
  readonly pid: number;
}

/** Peak MiB per watched process name. */
export type Peaks = Map<string, number>;

const SAMPLE_MS = 100;

function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null; // the process is gone
  }
}

function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export class RssWatch {
  private readonly timer: NodeJS.Timeout;
  private readonly overallKiB = new Map<string, number>();
  private windowKiB = new Map<string, number>();
  private hwmIsPerWindow = new Map<string, boolean>();

  constructor(private readonly procs: readonly Watched[]) {
    // Start-up counts towards the overall peak.
    for (const p of procs) this.raise(this.overallKiB, p.name, statusKiB(p.pid, 'VmHWM'));
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  /** Starts a new per-phase peak. */
  startWindow(): void {
    this.windowKiB = new Map();
    this.hwmIsPerWindow = new Map(this.procs.map((p) => [p.name, resetPeak(p.pid)]));
    this.sample();
  }

  /** Peaks since startWindow(). */
  endWindow(): Peaks {
    this.sample();
    for (const p of this.procs) {
      if (this.hwmIsPerWindow.get(p.name)) this.raise(this.windowKiB, p.name, statusKiB(p.pid, 'VmHWM'));
    }
    for (const [name, kib] of this.windowKiB) this.raise(this.overallKiB, name, kib);
    return toMiB(this.windowKiB);
  }

  /** Peaks over the whole run so far. */
  overall(): Peaks {
    this.sample();
    return toMiB(this.overallKiB);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    for (const p of this.procs) {
      const kib = statusKiB(p.pid, 'VmRSS');
      this.raise(this.windowKiB, p.name, kib);
      this.raise(this.overallKiB, p.name, kib);
    }
  }

  private raise(m: Map<string, number>, name: string, kib: number | null): void {
    if (kib !== null && kib > (m.get(name) ?? 0)) m.set(name, kib);
  }
}

function toMiB(kib: Map<string, number>): Peaks {
  return new Map([...kib].map(([name, k]) => [name, k / 1024]));
}
