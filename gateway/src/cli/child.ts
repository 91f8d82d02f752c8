// Child processes of the local cluster: spawned with their output going to a
// log file (rotated by size: log-file.ts), considered ready when they log {"msg":"listening","port":N}.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigError } from '@powerstore/shared/errors.js';
import { LIFELINE_ENV } from '@powerstore/shared/lifeline.js';
import { V8_FLAGS } from '@powerstore/shared/runtime.js';
import { RotatingLog } from './log-file.js';

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly port: number;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<number | string>;
}

export async function spawnChild(
  name: string,
  script: string,
  args: readonly string[],
  logFile: string,
  env: NodeJS.ProcessEnv,
  opts: { readonly timeoutMs?: number; readonly logMaxBytes?: number; readonly v8Flags?: readonly string[] } = {},
): Promise<Child> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  mkdirSync(dirname(logFile), { recursive: true });
  const log = new RotatingLog(logFile, opts.logMaxBytes);
  // POWERSTORE_CHILD_NODE_FLAGS passes flags to node itself (e.g. --cpu-prof,
  // which NODE_OPTIONS refuses) for diagnosing a running cluster.
  const nodeFlags = (env.POWERSTORE_CHILD_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  // stdin is the lifeline (lifeline.ts): a pipe this process never writes to,
  // whose end tells the child that its launcher is gone. Detached (a process
  // group of its own), so a Ctrl-C in the terminal reaches the launcher only,
  // which stops the gateways first and the nodes after them.
  const proc = spawn(process.execPath, [...(opts.v8Flags ?? V8_FLAGS), ...nodeFlags, script, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'], env: { ...env, [LIFELINE_ENV]: '1' }, detached: true,
  });
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  let stderrTail = '';
  proc.stderr!.on('data', (d: Buffer) => {
    log.write(d);
    stderrTail = (stderrTail + d.toString()).slice(-2000);
  });
  const lines = createInterface({ input: proc.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs);
    lines.on('line', (line) => {
      log.write(line + '\n');
      if (!line.includes('"listening"')) return;
      try {
        const j = JSON.parse(line) as { msg?: string; port?: number };
        if (j.msg === 'listening' && typeof j.port === 'number') {
          clearTimeout(timer);
          resolve(j.port);
        }
      } catch {
        /* not a log line */
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      const firstLine = stderrTail.trim().split('\n').find((l) => l.startsWith('error:')) ?? stderrTail.trim().split('\n')[0] ?? '';
      reject(new ConfigError(`${name} exited (${code}) before it was ready${firstLine ? `: ${firstLine}` : ''}`));
    });
  });
  void exited.then(() => log.end());
  return { name, proc, port, exited };
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopChild(c: Child, graceMs = 5000): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill('SIGTERM');
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
  await c.exited;
  clearTimeout(timer);
}
