import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { alive, goneWithin } from './testing/processes.js';

const LOG_MODULE = fileURLToPath(new URL('./log.js', import.meta.url));
const LIFELINE_MODULE = fileURLToPath(new URL('./lifeline.js', import.meta.url));

test('a child whose launcher (the reader of its log stream) is killed exits, even with log lines still to write', async (t) => {
  // The child logs through createLogger to its stdout, a socket the launcher
  // reads; when the launcher dies it logs a burst and exits. pino's default
  // asynchronous destination then flushed on exit into the broken socket and
  // retried forever (sonic-boom's flushSync sleeps and retries on any error):
  // a gateway of a SIGKILLed launcher stayed up, blocked in Atomics.wait.
  const child = `const { createLogger } = await import(${JSON.stringify(LOG_MODULE)});
    const { stopWithLauncher } = await import(${JSON.stringify(LIFELINE_MODULE)});
    const log = createLogger('child', 'info');
    stopWithLauncher(() => { for (let i = 0; i < 2000; i++) log.info({ i, pad: 'x'.repeat(200) }, 'stopping'); process.exit(0); });
    setInterval(() => {}, 1000); process.stdout.write('up\\n');`;
  const launcher = spawn(process.execPath, ['-e', `
    const c = require('node:child_process').spawn(process.execPath, ['--input-type=module', '-e', ${JSON.stringify(child)}],
      { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, POWERSTORE_LIFELINE: '1' }, detached: true });
    c.stdout.once('data', () => { console.log(String(c.pid)); c.stdout.pause(); });
    setInterval(() => {}, 1000);`], { stdio: ['pipe', 'pipe', 'inherit'] });
  const childPid = await new Promise<number>((resolve) => launcher.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  t.after(() => {
    if (alive(childPid)) process.kill(childPid, 'SIGKILL');
  });
  launcher.kill('SIGKILL');
  assert.ok(await goneWithin(childPid, 5000), 'the child is still running 5 s after its launcher died');
});

test('lines logged below warn reach stdout in order, the last of them at exit, also after an uncaught exception', async () => {
  for (const end of ['process.exit(0)', "throw new Error('boom')", 'undefined']) {
    const child = `const { createLogger } = await import(${JSON.stringify(LOG_MODULE)});
      const log = createLogger('child', 'info');
      for (let i = 0; i < 300; i++) log.info({ i }, 'line');
      ${end};`;
    const c = spawn(process.execPath, ['--input-type=module', '-e', child], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    await new Promise((resolve) => c.on('close', resolve));
    const seen = out.trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i);
    assert.deepEqual(seen, Array.from({ length: 300 }, (_, i) => i), end);
  }
});
