// `npm run soak [-- --duration 10m] [-- --seed N]`: the nemesis suite for
// longer. Repeats randomly chosen nemesis cases (fault modes on t nodes,
// crashes, gateway kills, clock hints, t = 1 and 2) with fresh seeds until
// the duration is up, checks each run, and stops at the first violation.
// Prints one line per run (with its latency), the worst latency per fault
// mode, and a JSON summary last.

import { parseFlags, runCli, stringFlag } from '@powerstore/shared/config.js';
import { ConfigError } from '@powerstore/shared/errors.js';
import { runNemesis, type NemesisEvent } from './run.js';
import { mulberry32 } from '../linearizability/testing/prng.js';

const MODES = ['silent', 'slow', 'corrupt', 'wrong-cc', 'stale', 'replay', 'forge', 'equivocate', 'garbage', 'list-lie', 'amnesia', 'drip', 'withhold', 'false-missing', 'trickle'];

function duration(v: string | undefined): number {
  if (v === undefined) return 10 * 60_000;
  const m = /^(\d+)(s|m|h)?$/.exec(v);
  if (!m) throw new ConfigError(`--duration must look like 90s, 10m or 2h, got "${v}"`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

runCli(async () => {
  const f = parseFlags(process.argv.slice(2), {
    duration: { type: 'string', env: 'POWERSTORE_SOAK_DURATION', describe: 'how long to run (90s, 10m, 2h)' },
    seed: { type: 'string', env: 'POWERSTORE_SOAK_SEED', describe: 'first seed' },
  });
  const until = Date.now() + duration(stringFlag(f.duration));
  let seed = Number(stringFlag(f.seed) ?? Date.now() % 100000);
  if (!Number.isInteger(seed)) throw new ConfigError('--seed must be an integer');
  let runs = 0;
  let ops = 0;
  let failedOps = 0;
  /** The slowest completed operation seen with each mode (or 'none', 'kill-nodes'), in ms. */
  const worst = new Map<string, number>();
  while (Date.now() < until) {
    const rand = mulberry32(seed);
    const t = rand() < 0.7 ? 1 : 2;
    const S = 3 * t + 1;
    const faulty = new Map<number, string[]>();
    const events: NemesisEvent[] = [];
    if (rand() < 0.75) {
      const nodes = [...Array(S).keys()].sort(() => rand() - 0.5).slice(0, t);
      for (const n of nodes) faulty.set(n, [MODES[Math.floor(rand() * MODES.length)]!]);
      if ([...faulty.values()].some((m) => m.includes('amnesia'))) events.push('restart-faulty');
    } else {
      events.push('kill-nodes');
    }
    if (rand() < 0.4) events.push('kill-gateway');
    const redis = rand() < 0.4;
    const label = `seed ${seed} t=${t} ${[...faulty].map(([n, m]) => `${n}:${m.join(',')}`).join(' ') || 'no faulty'} ${events.join(',')} ${redis ? 'hints' : ''}`;
    const r = await runNemesis({ t, gateways: 2, clients: 3 + Math.floor(rand() * 3), keys: 2 + Math.floor(rand() * 3), ops: 400, faulty, events, redis, seed });
    runs++;
    ops += r.ops;
    failedOps += r.stats.failed;
    const why = r.stats.failed > 0 ? ` (${[...r.stats.errors].map(([e, n]) => `${e} x${n}`).join(', ')})` : '';
    process.stdout.write(`${label}: ${r.ops} ops, ${r.stats.failed} failed${why}, ${r.violations.length} violations, ${r.stats.torn} torn, latency p50 ${r.latency.p50.toFixed(0)} p99 ${r.latency.p99.toFixed(0)} max ${r.latency.max.toFixed(0)} ms\n`);
    const modes = faulty.size ? [...new Set([...faulty.values()].flat())] : [events.includes('kill-nodes') ? 'kill-nodes' : 'none'];
    for (const m of modes) worst.set(m, Math.max(worst.get(m) ?? 0, r.latency.max));
    if (r.violations.length > 0 || r.stats.torn > 0 || r.unknown) {
      process.stdout.write(`${JSON.stringify({ soak: 'failed', seed, label, violations: r.violations })}\n`);
      process.exit(1);
    }
    seed++;
  }
  for (const [m, ms] of [...worst].sort(([a], [b]) => a.localeCompare(b))) process.stdout.write(`worst latency with ${m}: ${ms.toFixed(0)} ms\n`);
  process.stdout.write(`${JSON.stringify({ soak: 'ok', runs, ops, failedOps, violations: 0, worstMs: Object.fromEntries(worst) })}\n`);
});
