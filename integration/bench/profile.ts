// --profile DIR: every cluster process runs with node's --cpu-prof, which
// writes its profile when the process exits (the cluster stops them with
// SIGTERM, and they exit through process.exit). Node names the files by
// process id; once the cluster has stopped they are renamed after the
// process they came from (gateway.cpuprofile, node-0.cpuprofile, ...), for
// Chrome DevTools or speedscope.

import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Watched } from './rss.js';

/** The environment that makes the launcher start every child with a CPU profiler. */
export function profileEnv(dir: string): NodeJS.ProcessEnv {
  mkdirSync(dir, { recursive: true });
  // The launcher splits this on spaces: the folder may not hold one.
  if (/\s/.test(dir)) throw new Error(`--profile: the folder may not contain spaces: ${dir}`);
  return { POWERSTORE_CHILD_NODE_FLAGS: `--cpu-prof --cpu-prof-dir=${dir}` };
}

/**
 * Renames each process's profile after it; returns the files named, says which
 * processes left none, and which profiles came from no watched process (a
 * child's own short-lived helpers, e.g. key delivery at start).
 */
export function nameProfiles(dir: string, procs: readonly Watched[]): { named: string[]; missing: string[]; others: string[] } {
  const files = readdirSync(dir).filter((f) => f.startsWith('CPU.') && f.endsWith('.cpuprofile'));
  const named: string[] = [];
  const missing: string[] = [];
  for (const p of procs) {
    // CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile
    const file = files.find((f) => f.split('.')[3] === String(p.pid));
    if (!file) {
      missing.push(p.name);
      continue;
    }
    renameSync(join(dir, file), join(dir, `${p.name}.cpuprofile`));
    named.push(`${p.name}.cpuprofile`);
  }
  const others = readdirSync(dir).filter((f) => f.startsWith('CPU.') && f.endsWith('.cpuprofile'));
  return { named, missing, others };
}
