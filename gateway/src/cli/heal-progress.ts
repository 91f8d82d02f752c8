// Progress of a heal or scrub pass on stderr (operations review §3: a
// pass over a terabyte printed nothing for hours): the number of history
// entries to check, estimated before the pass from the nodes' counts (the
// most any node holds); a line every PROGRESS_EVERY_MS with the count done,
// the rate and the time left; and a last line with the totals.

export const PROGRESS_EVERY_MS = 5000;

export function startLine(total: number | null, dryRun: boolean): string {
  return `${dryRun ? 'scrub' : 'heal'}: ${total === null ? 'an unknown number of' : `about ${total}`} history entries to check`;
}

/** "1200 of about 5000 history entries checked (24%), 240/s, about 16 s left" */
export function progressLine(done: number, total: number | null, elapsedMs: number, dryRun: boolean): string {
  const rate = done / Math.max(0.001, elapsedMs / 1000);
  const head = `${dryRun ? 'scrub' : 'heal'}: ${done}${total ? ` of about ${total}` : ''} history entries checked`;
  if (!total || done === 0) return `${head}, ${rate.toFixed(0)}/s`;
  const pct = Math.min(100, Math.round((100 * done) / total));
  const leftS = Math.max(0, (total - done) / rate);
  return `${head} (${pct}%), ${rate.toFixed(0)}/s, about ${leftS < 120 ? `${Math.ceil(leftS)} s` : `${Math.ceil(leftS / 60)} min`} left`;
}

export function endLine(done: number, elapsedMs: number, dryRun: boolean): string {
  const s = elapsedMs / 1000;
  return `${dryRun ? 'scrub' : 'heal'}: ${done} history entries checked in ${s.toFixed(1)} s (${(done / Math.max(0.001, s)).toFixed(0)}/s)`;
}

/** Prints startLine now, progressLine every PROGRESS_EVERY_MS while running, endLine at stop(). */
export class HealProgress {
  private done = 0;
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly total: number | null, private readonly dryRun: boolean, private readonly say: (line: string) => void, everyMs = PROGRESS_EVERY_MS) {
    say(startLine(total, dryRun));
    this.timer = setInterval(() => say(progressLine(this.done, this.total, Date.now() - this.started, this.dryRun)), everyMs);
    this.timer.unref();
  }

  /** One more history entry checked. */
  tick(): void {
    this.done++;
  }

  stop(): void {
    clearInterval(this.timer);
    this.say(endLine(this.done, Date.now() - this.started, this.dryRun));
  }
}
