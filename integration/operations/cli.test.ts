// One command-line tool (issue 13, item 3): `powerstore` with --help and
// --version on every command, bad input as one line and exit code 2 (never a
// stack), and `status` reporting the cluster as its nodes come and go.

import { strict as assert } from 'node:assert';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { GATEWAY_V8_FLAGS, V8_FLAGS } from '@powerstore/shared/runtime.js';
import { run } from '../harness/cli.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const CLI = resolve(here, '../../gateway/src/cli/powerstore.js');
const BIN = resolve(here, '../../gateway/src/cli/bin.js');
const ENV = { PATH: process.env.PATH, POWERSTORE_LOG_LEVEL: 'warn' };
const VERSION = (JSON.parse(readFileSync(resolve(here, '../../../package.json'), 'utf8')) as { version: string }).version;
const VERBS = ['start', 'init', 'node', 'gateway', 'status', 'heal', 'scrub', 'uploads list', 'uploads abort', 'keys rotate', 'gateways'];

const ps = (args: string[], timeoutMs = 60_000): ReturnType<typeof run> => run(process.execPath, [CLI, ...args], ENV, timeoutMs);

function oneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.match(r.stderr, /^error: /);
  assert.match(r.stderr, pattern);
  assert.ok(!/\n\s+at /.test(r.stderr), 'no stack');
}

/** Resolves once `proc` has printed `marker` on stdout; rejects if it exits first. */
function untilPrinted(proc: ChildProcessWithoutNullStreams, exited: Promise<unknown>, marker: string, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(marker)) resolve();
    });
    void exited.then(() => reject(new Error(`${what} exited: ${out}`)));
  });
}

/**
 * `powerstore gateway` as the Docker image and init's start.sh run it (the
 * bin, under the V8 flags of its first line): the process, same id, serves
 * with the gateway's own V8 flags instead (runtime.ts).
 */
async function gatewayFromBin(config: string): Promise<void> {
  const gw = spawn(process.execPath, [...V8_FLAGS, BIN, 'gateway', '--config', config, '--port', '0'], { env: { ...process.env, POWERSTORE_LOG_LEVEL: 'info' } });
  const exited = new Promise((r) => gw.once('exit', r));
  try {
    await untilPrinted(gw, exited, '"listening"', 'the gateway');
    const argv = readFileSync(`/proc/${gw.pid!}/cmdline`, 'utf8').split('\0');
    for (const f of GATEWAY_V8_FLAGS) assert.ok(argv.includes(f), `it runs with ${f}: ${argv.join(' ')}`);
    for (const f of V8_FLAGS) assert.ok(!argv.includes(f), `not with ${f}: ${argv.join(' ')}`);
  } finally {
    gw.kill('SIGTERM');
    await exited;
  }
}

describe('the powerstore command', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'ps-cli-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('--help lists every command; every command has --help and --version', { timeout: 120_000 }, async () => {
    const top = await ps(['--help']);
    assert.equal(top.code, 0);
    for (const v of VERBS) assert.match(top.stdout, new RegExp(`^  ${v} `, 'm'), v);
    assert.equal((await ps([])).code, 2, 'no command: usage and exit 2');
    assert.equal((await ps(['--version'])).stdout, `powerstore ${VERSION}\n`);
    for (const v of VERBS) {
      const help = await ps([...v.split(' '), '--help']);
      assert.equal(help.code, 0, `${v} --help: ${help.stderr}`);
      assert.ok(help.stdout.startsWith(`usage: powerstore ${v} [flags]\n`), help.stdout);
      assert.match(help.stdout, /--version/);
      const version = await ps([...v.split(' '), '--version']);
      assert.equal(version.stdout, `powerstore ${VERSION}\n`, v);
    }
  });

  it('bad input anywhere is one clear line and exit code 2', { timeout: 120_000 }, async () => {
    const dir = tmp();
    oneLineError(await ps(['bogus']), /unknown command "bogus"/);
    oneLineError(await ps(['status', '--nope']), /--nope/);
    oneLineError(await ps(['status']), /status needs --config FILE/);
    oneLineError(await ps(['heal', '--config', join(dir, 'missing.json')]), /cannot read .*missing\.json/);
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    oneLineError(await ps(['gateway', '--config', join(dir, 'bad.json')]), /not valid JSON/);
    oneLineError(await ps(['init', '--out', join(dir, 'init-out'), '--nodes', 'a:1,b:1,c:1', '--gateways', 'g:1']), /a cluster has 3t\+1/);
    oneLineError(await ps(['node']), /--config is required/);
    oneLineError(await ps(['start', '--t', '9']), /--t must be an integer/);
    writeFileSync(join(dir, 'a-file'), 'x');
    oneLineError(await ps(['start', '--data', join(dir, 'a-file'), '--port', '0']), /cannot use .*a-file as the data folder: (EEXIST|ENOTDIR)/);
    oneLineError(await ps(['start', '--data', join(dir, 'a-file', 'below'), '--port', '0']), /cannot use .* as the data folder: ENOTDIR/);
    oneLineError(await ps(['uploads', 'abort', '--config', join(dir, 'missing.json'), '--older-than', 'soon']), /cannot read|--older-than/);
    // A port in use: the launcher says so and leaves no process behind.
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const data = join(dir, 'busy');
      oneLineError(await ps(['start', '--data', data, '--port', String(port)]), new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
    } finally {
      busy.close();
    }
  });

  it('status: healthy with every node up (exit 0), degraded with one down (exit 1); start takes --scrub-interval-s; `powerstore gateway` runs with the gateway\'s V8 flags', { timeout: 120_000 }, async () => {
    const dir = tmp();
    const launcher = spawn(process.execPath, [CLI, 'start', '--data', dir, '--port', '0', '--scrub-interval-s', '3600'], { env: { ...process.env, POWERSTORE_LOG_LEVEL: 'warn' } });
    const exited = new Promise((r) => launcher.once('exit', r));
    try {
      await untilPrinted(launcher, exited, 'Ctrl-C', 'start');
      const config = join(dir, 'gateway.json');
      await gatewayFromBin(config);
      const up = await ps(['status', '--config', config]);
      assert.equal(up.code, 0, up.stdout + up.stderr);
      assert.match(up.stdout, /^NODE\s+URL\s+STATE\s+LATENCY\s+REGISTERS\s+HISTORY/);
      assert.match(up.stdout, /cluster: 4 of 4 nodes answer \(t=1\): healthy$/m);
      // Node 2 killed (its process found by its store folder).
      const node2 = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).find((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(join(dir, 'node-2', 'store'));
        } catch {
          return false;
        }
      });
      assert.ok(node2, 'node 2 runs');
      process.kill(Number(node2), 'SIGKILL');
      await new Promise((r) => setTimeout(r, 500));
      const down = await ps(['status', '--config', config]);
      assert.equal(down.code, 1);
      assert.match(down.stdout, /^2\s+\S+\s+DOWN/m);
      assert.match(down.stdout, /cluster: 3 of 4 nodes answer \(t=1\): degraded/);
      const json = JSON.parse((await ps(['status', '--config', config, '--json'])).stdout) as { verdict: string; nodes: { up: boolean }[] };
      assert.equal(json.verdict, 'degraded');
      assert.deepEqual(json.nodes.map((n) => n.up), [true, true, false, true]);
    } finally {
      launcher.kill('SIGTERM');
      await exited;
    }
  });
});
