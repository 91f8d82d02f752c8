// JSON logs (pino) for every process. Level from POWERSTORE_LOG_LEVEL
// (default "info"; tests set "warn" or "silent").

import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level = process.env.POWERSTORE_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid, svc: name } });
}
