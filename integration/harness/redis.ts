// A real redis-server for tests: started on a free port in a temporary
// folder with no persistence (`--save '' --appendonly no`), so a restart is
// a Redis that comes back empty. stop/kill/start/pause/resume let tests play
// a Redis that dies, returns empty, or hangs (SIGSTOP: connections stay open,
// nothing answers: the "slow Redis" case).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = process.env.POWERSTORE_REDIS_SERVER ?? '/usr/bin/redis-server';

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** (Re)starts the server on the same port, empty. */
  start(): Promise<void>;
  /** SIGTERM, waits until gone. */
  stop(): Promise<void>;
  /** SIGKILL, waits until gone. */
  kill(): Promise<void>;
  /** SIGSTOP: the server hangs (connections open, no answers). */
  pause(): void;
  /** SIGCONT after pause. */
  resume(): void;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/** A TCP port free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves true once `PING` gets `+PONG` on the port. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let buf = '';
    sock.setTimeout(500, () => sock.destroy());
    sock.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\r\n')) {
        sock.destroy();
        resolve(buf.startsWith('+PONG'));
      }
    });
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('error', () => resolve(false));
    sock.on('close', () => resolve(false));
  });
}

export interface TestRedisOptions {
  /** A config file's text, written to the server's folder and given first (a Sentinel needs one it can rewrite). */
  readonly conf?: string;
  /** More arguments: `--sentinel`, `--cluster-enabled yes`, … */
  readonly args?: readonly string[];
}

export async function startTestRedis(port?: number, o: TestRedisOptions = {}): Promise<TestRedis> {
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'ps-redis-'));
  const conf = o.conf === undefined ? [] : [join(dir, 'redis.conf')];
  if (o.conf !== undefined) writeFileSync(conf[0]!, o.conf);
  let proc: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';

  const start = async (): Promise<void> => {
    if (proc) throw new Error('redis-server already running');
    const deadline = Date.now() + 10_000;
    for (;;) {
      stderr = '';
      const child = spawn(REDIS_SERVER, [...conf, '--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...(o.args ?? [])], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr!.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-2000);
      });
      let gone = false;
      exited = new Promise((resolve) => {
        child.once('exit', () => {
          gone = true;
          resolve();
        });
        child.once('error', (e) => {
          // No redis-server binary (ENOENT): fail at once with the reason.
          stderr = `${REDIS_SERVER}: ${e.message}`;
          gone = true;
          resolve();
        });
      });
      while (!gone && Date.now() < deadline) {
        if (await ping(p)) {
          proc = child;
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      if (!gone) child.kill('SIGKILL');
      await exited;
      if (stderr.includes('ENOENT')) throw new Error(`cannot start redis-server: ${stderr} (install redis-server, or set POWERSTORE_REDIS_SERVER)`);
      // The port may still be held for a moment after a kill: try again until the deadline.
      if (Date.now() >= deadline) throw new Error(`redis-server did not start on port ${p}: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const c = proc;
    if (!c) return;
    proc = null;
    c.kill('SIGCONT');
    c.kill(signal);
    await exited;
  };

  await start();
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    start,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    pause: () => void proc?.kill('SIGSTOP'),
    resume: () => void proc?.kill('SIGCONT'),
    async dispose() {
      await end('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
