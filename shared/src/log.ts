// JSON logs (pino) for every process. Level from POWERSTORE_LOG_LEVEL
// (default "info"; tests set "warn" or "silent").

import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level = process.env.POWERSTORE_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid, svc: name } });
}

/**
 * The readiness line a launcher waits for, printed whatever the log level:
 * {"msg":"listening","port":N}.
 */
export function announceListening(port: number, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port, ...extra })}\n`);
}
