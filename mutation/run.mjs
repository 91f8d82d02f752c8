/* global process, console */
// npm run mutation -- TARGET [stryker options, e.g. --mutate FILE --concurrency 1]
// Runs StrykerJS on one target (mutation/TARGET.config.mjs), then prints the
// score per file and, last, `mutation TARGET: S%`, where
// S = (killed + timeout) / (killed + timeout + survived + no coverage),
// the score Stryker itself reports (compile and runtime errors do not count).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TARGETS = ['protocol', 'gateway-protocol', 'auth', 'body', 'node'];
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [target, ...extra] = process.argv.slice(2);
if (!target || !TARGETS.includes(target)) {
  console.error(`usage: npm run mutation -- TARGET [stryker options]; TARGET is one of ${TARGETS.join(', ')}`);
  process.exit(2);
}

const stryker = join(root, 'node_modules', '.bin', 'stryker');
const run = spawnSync(stryker, ['run', `mutation/${target}.config.mjs`, ...extra], { cwd: root, stdio: 'inherit' });
if (run.status !== 0) {
  console.error(`stryker exited with ${run.status ?? run.signal}`);
  process.exit(run.status || 1);
}

const report = JSON.parse(readFileSync(join(root, 'reports', 'mutation', `${target}.json`), 'utf8'));
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);
const pct = (d, u) => (d + u === 0 ? 'n/a' : `${((100 * d) / (d + u)).toFixed(1)}%`);
let detected = 0;
let undetected = 0;
const rows = [];
for (const [file, { mutants }] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
  const d = mutants.filter((m) => DETECTED.has(m.status)).length;
  const u = mutants.filter((m) => UNDETECTED.has(m.status)).length;
  detected += d;
  undetected += u;
  const survivors = mutants.filter((m) => UNDETECTED.has(m.status))
    .map((m) => `${m.id}@${m.location.start.line}:${m.mutatorName}`);
  rows.push(`${file}: ${d}/${d + u} ${pct(d, u)}${survivors.length ? `  survived: ${survivors.join(' ')}` : ''}`);
}
console.log(rows.join('\n'));
console.log(`mutation ${target}: ${pct(detected, undetected)}`);
