// `powerstore heal`: one scrub pass (scrub.ts) run from the command line
// against a cluster named by a gateway config file: every history entry a
// read may need is checked at every node, and missing or corrupt copies are
// rebuilt from k others and stored again. The process talks to the nodes
// directly, as a gateway does (it holds the same keys), and needs no gateway
// to be running.
//
// Output (stdout): one summary line per node and a result line, or with
// --json the whole report. Progress and findings are JSON log lines (pino)
// on stderr, level from POWERSTORE_LOG_LEVEL (default "warn": failures and
// evidence only; "info" adds every copy found bad and healed).
// Exit code: 0 when every copy checked is healthy or was healed (a dry run:
// when nothing needs healing), 1 otherwise; 2 for a bad flag or config.

import { pino, type Logger } from 'pino';
import type { GatewayConfig } from '../config.js';
import { cliContext, type EvidenceTally } from './cli-context.js';
import { HealProgress } from './heal-progress.js';
import { clusterStatus } from './status.js';
import { outcomeOf, scrubPass, type ScrubReport } from '../background/scrub.js';

export interface HealOptions {
  readonly cfg: GatewayConfig;
  readonly dryRun: boolean;
  readonly concurrency: number;
  readonly json: boolean;
  /** Where report lines go (stdout). */
  readonly out: (text: string) => void;
  /** Where progress lines go (stderr); absent: none. */
  readonly progress?: (line: string) => void;
  readonly log?: Logger;
  readonly signal?: AbortSignal;
}


/** The exit code of a heal run: 0 when the pass leaves everything it checked healthy. */
export function exitCodeOf(r: ScrubReport): 0 | 1 {
  return outcomeOf(r) === 'unhealthy' ? 1 : 0;
}

/** The human-readable report: a headline, one line per node, evidence, errors, the result. */
export function formatReport(r: ScrubReport, evidence: EvidenceTally = new Map()): string[] {
  const lines = [
    `heal${r.dryRun ? ' (dry run)' : ''}: ${r.writes} history entries of ${r.registers} registers checked at ${r.nodes.length} nodes in ${(r.ms / 1000).toFixed(1)} s` +
      (r.superseded ? ` (${r.superseded} overwritten meanwhile, skipped)` : ''),
  ];
  r.nodes.forEach((n, i) => {
    lines.push(`node ${i}: checked ${n.checked}, missing ${n.missing}, corrupt ${n.corrupt}, unreadable ${n.unreadable}, ` +
      `unreachable ${n.unreachable}, healed ${n.healed}, failed ${n.failed}`);
  });
  for (const [node, kinds] of [...evidence].sort((a, b) => a[0] - b[0])) {
    lines.push(`evidence: node ${node}: ${[...kinds].map(([k, c]) => `${k} ×${c}`).join(', ')}`);
  }
  for (const e of r.errors) lines.push(`error: ${e}`);
  const needs = r.nodes.reduce((s, n) => s + n.missing + n.corrupt + n.unreadable, 0);
  const outcome = outcomeOf(r);
  if (r.aborted) lines.push('result: INTERRUPTED, the pass did not finish');
  else if (r.dryRun) lines.push(dryRunResult(r, needs));
  else if (outcome === 'healthy') lines.push('result: healthy');
  else if (outcome === 'healed') lines.push(`result: healed (${r.nodes.reduce((s, n) => s + n.healed, 0)} copies)`);
  else lines.push('result: NOT HEALTHY (see failed, unreachable and errors above)');
  return lines;
}

/** A dry run's verdict: healthy only if every copy was checked and none needs healing (as its exit code says). */
function dryRunResult(r: ScrubReport, needs: number): string {
  const unchecked = r.nodes.reduce((s, n) => s + n.unreachable, 0);
  if (outcomeOf(r) === 'healthy') return 'result: healthy';
  if (unchecked === 0 && r.errors.length === 0) return `result: ${needs} copies need healing (dry run: nothing changed)`;
  if (unchecked === 0) return 'result: NOT HEALTHY (see the errors above; dry run: nothing changed)';
  const found = needs ? `${needs} copies need healing and ` : '';
  return `result: NOT HEALTHY: ${found}${unchecked} could not be checked (dry run: nothing changed)`;
}

/** Runs one pass and prints its report; returns the exit code. */
export async function runHeal(o: HealOptions): Promise<0 | 1> {
  const log = o.log ?? pino({ name: 'powerstore-heal', level: process.env.POWERSTORE_LOG_LEVEL ?? 'warn', base: { pid: process.pid, svc: 'powerstore-heal' } }, pino.destination(2));
  const evidence: EvidenceTally = new Map();
  const { ctx, close } = cliContext(o.cfg, log, evidence);
  try {
    let progress: HealProgress | null = null;
    if (o.progress) {
      // The most history entries any node holds: about what the pass will check.
      const counts = (await clusterStatus(o.cfg)).map((n) => n.histEntries).filter((n): n is number => n !== null);
      progress = new HealProgress(counts.length ? Math.max(...counts) : null, o.dryRun, o.progress);
    }
    const hooks = progress ? { entry: () => progress.tick() } : undefined;
    let report: ScrubReport;
    try {
      report = await scrubPass(ctx, { dryRun: o.dryRun, concurrency: o.concurrency, log, ...(hooks ? { hooks } : {}) }, o.signal ?? new AbortController().signal);
    } finally {
      progress?.stop();
    }
    if (o.json) {
      const ev = Object.fromEntries([...evidence].map(([n, k]) => [n, Object.fromEntries(k)]));
      o.out(`${JSON.stringify({ ...report, outcome: outcomeOf(report), evidence: ev }, null, 2)}\n`);
    } else {
      o.out(`${formatReport(report, evidence).join('\n')}\n`);
    }
    return exitCodeOf(report);
  } finally {
    await close();
  }
}
