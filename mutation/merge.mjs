/* global process, console */
// node mutation/merge.mjs FULL.json PARTIAL.json... [--out MERGED.json]
// A full run's report with the mutants of later partial runs (`--mutate
// FILE:LINES`, same source) put in place of the same mutants (matched by file,
// location, mutator and replacement: Stryker's ids differ between runs).
// Prints the scores as run.mjs does. Refuses a partial run over other source.
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? args.splice(outAt, 2)[1] : undefined;
const [fullPath, ...partials] = args;
if (!fullPath || partials.length === 0) {
  console.error('usage: node mutation/merge.mjs FULL.json PARTIAL.json... [--out MERGED.json]');
  process.exit(2);
}
const read = (p) => JSON.parse(readFileSync(p, 'utf8'));
const key = (m) => `${m.location.start.line}:${m.location.start.column}-${m.location.end.line}:${m.location.end.column} ${m.mutatorName} ${m.replacement}`;
const full = read(fullPath);
let replaced = 0;
for (const p of partials) {
  for (const [file, { source, mutants }] of Object.entries(read(p).files)) {
    const base = full.files[file];
    if (!base) throw new Error(`${p}: ${file} is not in ${fullPath}`);
    if (base.source !== source) throw new Error(`${p}: ${file} differs from the source ${fullPath} measured`);
    const at = new Map(base.mutants.map((m, i) => [key(m), i]));
    for (const m of mutants) {
      const i = at.get(key(m));
      if (i === undefined) throw new Error(`${p}: mutant ${key(m)} of ${file} not in ${fullPath}`);
      base.mutants[i] = { ...m, id: base.mutants[i].id };
      replaced++;
    }
  }
}
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);
const pct = (d, u) => (d + u === 0 ? 'n/a' : `${((100 * d) / (d + u)).toFixed(1)}%`);
let detected = 0;
let undetected = 0;
for (const [file, { mutants }] of Object.entries(full.files).sort(([a], [b]) => a.localeCompare(b))) {
  const d = mutants.filter((m) => DETECTED.has(m.status)).length;
  const u = mutants.filter((m) => UNDETECTED.has(m.status));
  detected += d;
  undetected += u.length;
  const survivors = u.map((m) => `${m.id}@${m.location.start.line}:${m.mutatorName}`);
  console.log(`${file}: ${d}/${d + u.length} ${pct(d, u.length)}${survivors.length ? `  survived: ${survivors.join(' ')}` : ''}`);
}
console.log(`merged ${replaced} re-run mutants; score: ${pct(detected, undetected)} (${detected}/${detected + undetected})`);
if (out) writeFileSync(out, JSON.stringify(full));
