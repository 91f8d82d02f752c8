// The processes of a test cluster, found by what their command lines name.

import { readdirSync, readFileSync } from 'node:fs';

/** Every process whose command line names `text` (a data folder: the launcher, its nodes and gateway). */
export function processesOf(text: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(text)) pids.push(Number(p));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

/** "pid (state) command line", for a failure message that says which process stayed. */
export function describeProcess(pid: number): string {
  try {
    const state = /\) (\S)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? '?';
    return `${pid} (${state}) ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`;
  } catch {
    return `${pid} (gone)`;
  }
}
