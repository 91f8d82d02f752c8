// JSON logs (pino) for every process, on stdout: a service manager (journald)
// or a container runtime collects them as they are; the local launcher
// writes them to data/logs/ with size-based rotation (gateway/src/cli/log-file.ts).
// Level from POWERSTORE_LOG_LEVEL (default "info"; tests set "warn" or "silent").
// Nothing but JSON lines goes out: process warnings become log lines too.

import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Log lines are written to stdout synchronously. pino's default destination
 * is asynchronous and flushes what it holds when the process exits; when
 * stdout is a pipe whose reader is gone (the launcher was killed), that
 * flush retries the failing write forever (sonic-boom's flushSync sleeps and
 * retries on any error), so the process never exits. A synchronous write
 * meets the broken pipe at once, and pino then drops further lines.
 */
let stdoutDestination: ReturnType<typeof pino.destination> | undefined;

export function createLogger(name: string, level = process.env.POWERSTORE_LOG_LEVEL ?? 'info'): Logger {
  stdoutDestination ??= pino.destination({ dest: 1, sync: true });
  const log = pino({ name, level, base: { pid: process.pid, svc: name } }, stdoutDestination);
  warningsAsLogLines(log);
  return log;
}

let warningsTaken = false;

/**
 * Node prints process warnings (deprecations, listener counts) to stderr as
 * text, which breaks a JSON log stream (operations review §3): its default
 * printer is replaced by a warn line of the process's own log.
 */
function warningsAsLogLines(log: Logger): void {
  if (warningsTaken) return;
  warningsTaken = true;
  process.removeAllListeners('warning');
  process.on('warning', (w) => log.warn({ warning: w.name, code: (w as { code?: string }).code, detail: w.message }, 'process warning'));
}

/**
 * The readiness line a launcher waits for, printed whatever the log level,
 * in the shape of the other log lines: {"level":30,"time":…,"msg":"listening","port":N}.
 */
export function announceListening(port: number, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, msg: 'listening', port, ...extra })}\n`);
}
