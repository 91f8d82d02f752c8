// JSON logs (pino) for every process, on stdout: a service manager (journald)
// or a container runtime collects them as they are; the local launcher
// writes them to data/logs/ with size-based rotation (gateway/src/cli/log-file.ts).
// Level from POWERSTORE_LOG_LEVEL (default "info"; tests set "warn" or "silent").
// Nothing but JSON lines goes out: process warnings become log lines too.

import { pino, type Logger } from 'pino';
import { LineBuffer } from './log-buffer.js';

export type { Logger };

/**
 * Log lines go to stdout through one LineBuffer (log-buffer.ts): gathered
 * for up to 50 ms and written together, synchronously; a warn line or worse
 * at once, with everything before it. A write a line (pino's synchronous
 * destination) cost a gateway 6-7% of its CPU at the default level, where
 * every request logs its access line (issue 11). pino's own asynchronous
 * destination is not used: when stdout is a pipe whose reader is gone (the
 * launcher was killed), its flush at exit retried the failing write forever
 * (sonic-boom's flushSync sleeps and retries on any error), so the process
 * never exited; a LineBuffer drops its lines at the first such error.
 */
let stdoutLines: LineBuffer | undefined;

function stdoutBuffer(): LineBuffer {
  if (!stdoutLines) {
    const lines = new LineBuffer(1);
    process.on('exit', () => lines.flush());
    stdoutLines = lines;
  }
  return stdoutLines;
}

export function createLogger(name: string, level = process.env.POWERSTORE_LOG_LEVEL ?? 'info'): Logger {
  const log = pino({ name, level, base: { pid: process.pid, svc: name } }, stdoutBuffer());
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
  stdoutLines?.flush(); // the lines logged before it come before it
  process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, msg: 'listening', port, ...extra })}\n`);
}
