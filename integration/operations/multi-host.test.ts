// Many hosts (issue 13, item 2), tested the way separate machines would be:
// `powerstore init` writes the bundles for four nodes on 127.0.0.2 to
// 127.0.0.5 and a gateway on 127.0.0.6, with TLS between them; each bundle
// is copied to a folder of its own ("its host") and started there with the
// start.sh init wrote, nothing else; the real aws CLI writes and reads
// through the gateway; one node host is killed, more is written while it
// is down, it is restarted from its folder and `powerstore heal` brings it
// back, after which everything reads back. The Docker health check script
// is run against the live processes too. A transcript of the commands and
// their output is printed for the closing note.

import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { run, type CliResult } from '../harness/cli.js';

const POWERSTORE = fileURLToPath(new URL('../../gateway/src/cli/powerstore.js', import.meta.url));
const HEALTHCHECK = fileURLToPath(new URL('../../../docker/healthcheck.mjs', import.meta.url));
const NODE_HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const GATEWAY_HOST = '127.0.0.6';
const MiB = 1024 * 1024;

/** A port free on `host` right now (the OS picks it; init needs a number). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

interface Host {
  readonly name: string;
  readonly dir: string;
  proc: ChildProcess | null;
}

describe('many hosts: powerstore init, nodes on 127.0.0.2-5, a gateway on 127.0.0.6, TLS between them', { timeout: 300_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'ps-multi-host-'));
  const bin = join(root, 'bin');
  const hosts = new Map<string, Host>();
  const transcript: string[] = [];
  let gatewayDir = '';
  let endpoint = '';
  let cred = { accessKey: '', secretKey: '' };
  const env = (): NodeJS.ProcessEnv => ({ PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: root, POWERSTORE_LOG_LEVEL: 'warn' });

  const say = (cmd: string, r: CliResult): void => {
    const out = `${r.stdout}${r.stderr}`.trim();
    transcript.push(`$ ${cmd}`, ...(out ? out.split('\n').map((l) => `  ${l}`) : []), ...(r.code !== 0 ? [`  (exit ${r.code})`] : []));
  };
  /** `powerstore ...` through the PATH, as an operator types it. */
  const powerstore = async (args: readonly string[], cwd = root): Promise<CliResult> => {
    const r = await new Promise<CliResult>((resolve) => {
      const p = spawn('powerstore', [...args], { cwd, env: env() });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
    say(`powerstore ${args.join(' ')}`, r);
    return r;
  };
  const aws = async (args: readonly string[]): Promise<CliResult> => {
    const r = await run('aws', ['--endpoint-url', endpoint, ...args], {
      ...env(), AWS_ACCESS_KEY_ID: cred.accessKey, AWS_SECRET_ACCESS_KEY: cred.secretKey, AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: join(root, 'aws-config'), AWS_SHARED_CREDENTIALS_FILE: join(root, 'aws-credentials'),
    });
    say(`aws ${args.join(' ')}`, r);
    return r;
  };

  /** Runs a host's start.sh (what init wrote, from elsewhere) and waits for its "listening" line. */
  async function startHost(h: Host): Promise<void> {
    const proc = spawn('sh', [join(h.dir, 'start.sh')], { cwd: root, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    h.proc = proc;
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${h.name} did not start within 30 s: ${stderr}`)), 30_000);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${h.name} exited (${code}) before listening: ${stderr}`));
      });
      createInterface({ input: proc.stdout }).on('line', (line) => {
        if (line.includes('"msg":"listening"')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    transcript.push(`$ sh ${h.dir}/start.sh   # ${h.name}: listening (pid ${proc.pid})`);
  }

  async function stopHost(h: Host, signal: NodeJS.Signals): Promise<void> {
    const p = h.proc;
    h.proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((resolve) => p.once('exit', resolve));
    p.kill(signal);
    await gone;
  }

  before(async () => {
    mkdirSync(bin);
    writeFileSync(join(bin, 'powerstore'), `#!/bin/sh\nexec '${process.execPath}' '${POWERSTORE}' "$@"\n`, { mode: 0o755 });
    const nodes = await Promise.all(NODE_HOSTS.map(async (h) => `${h}:${await freePort(h)}`));
    const gateway = `${GATEWAY_HOST}:${await freePort(GATEWAY_HOST)}`;
    const init = await powerstore(['init', '--out', join(root, 'init'), '--nodes', nodes.join(','), '--gateways', gateway, '--tls-nodes', '--data-dir', 'data']);
    assert.equal(init.code, 0, init.stderr);
    // Each bundle alone goes to its "host": a folder of its own, nothing else in it.
    for (const h of [...NODE_HOSTS, GATEWAY_HOST]) {
      const dir = join(root, 'hosts', h);
      cpSync(join(root, 'init', h), dir, { recursive: true });
      hosts.set(h, { name: h === GATEWAY_HOST ? `gateway ${h}` : `node ${h}`, dir, proc: null });
    }
    gatewayDir = join(root, 'hosts', GATEWAY_HOST);
    endpoint = `http://${gateway}`;
    const gw = JSON.parse(readFileSync(join(gatewayDir, 'gateway.json'), 'utf8')) as { credentials: { accessKey: string; secretKey: string }[] };
    cred = gw.credentials[0]!;
    await Promise.all(NODE_HOSTS.map((h) => startHost(hosts.get(h)!)));
    await startHost(hosts.get(GATEWAY_HOST)!);
  });

  after(async () => {
    await Promise.all([...hosts.values()].map((h) => stopHost(h, 'SIGTERM')));
    process.stdout.write(`\n--- multi-host transcript ---\n${transcript.join('\n')}\n--- end ---\n`);
    rmSync(root, { recursive: true, force: true });
  });

  it('init wrote one bundle per host: a node\'s holds its own key and certificate only, the gateway\'s the https:// node URLs and the CA', () => {
    for (const [i, h] of NODE_HOSTS.entries()) {
      const cfg = JSON.parse(readFileSync(join(root, 'hosts', h, 'node.json'), 'utf8')) as { index: number; keys: Record<string, string> };
      assert.equal(cfg.index, i);
      assert.deepEqual(Object.keys(cfg.keys), ['0'], 'one key: its own, for epoch 0');
      assert.deepEqual(readdirSync(join(root, 'hosts', h)).sort(), ['START.txt', 'data', 'node-key.pem', 'node.json', 'node.pem', 'start.sh'], 'nothing of another node, no CA');
      assert.equal(statSync(join(root, 'hosts', h, 'node.json')).mode & 0o777, 0o600);
      assert.equal(statSync(join(root, 'hosts', h, 'node-key.pem')).mode & 0o777, 0o600);
    }
    const gw = JSON.parse(readFileSync(join(gatewayDir, 'gateway.json'), 'utf8')) as { nodes: string[]; nodeCa: string };
    for (const h of NODE_HOSTS) assert.equal(statSync(join(root, 'hosts', h, 'data')).mode & 0o777, 0o700, `the node on ${h} made its data folder, owner-only`);
    assert.deepEqual(gw.nodes.map((u) => new URL(u).hostname), NODE_HOSTS);
    for (const u of gw.nodes) assert.match(u, /^https:\/\//);
    assert.equal(gw.nodeCa, 'node-ca.pem');
  });

  it('each node listens on its own address only, over TLS (the Docker health check sees it; nothing answers on 127.0.0.1)', async () => {
    const gw = JSON.parse(readFileSync(join(gatewayDir, 'gateway.json'), 'utf8')) as { nodes: string[] };
    for (const u of gw.nodes) {
      const ok = await run(process.execPath, [HEALTHCHECK, `${u}/healthz`], env());
      assert.equal(ok.code, 0, `${u}: ${ok.stderr}`);
      const elsewhere = await run(process.execPath, [HEALTHCHECK, `${u.replace(new URL(u).hostname, '127.0.0.1')}/healthz`], env());
      assert.equal(elsewhere.code, 1, 'the node is bound to its own address, not every loopback address');
    }
    const live = await run(process.execPath, [HEALTHCHECK, `${endpoint}/_powerstore/live`], env());
    say(`node docker/healthcheck.mjs ${endpoint}/_powerstore/live`, live);
    assert.equal(live.code, 0, live.stderr);
  });

  const big = randomBytes(5 * MiB + 12345);
  const more = randomBytes(3 * MiB + 7);

  it('aws CLI through the gateway: mb, cp up a few MiB, ls, cp down byte for byte', async () => {
    writeFileSync(join(root, 'big.bin'), big);
    assert.equal((await aws(['s3', 'mb', 's3://multi'])).code, 0);
    assert.equal((await aws(['s3', 'cp', '--no-progress', join(root, 'big.bin'), 's3://multi/big.bin'])).code, 0);
    const ls = await aws(['s3', 'ls', 's3://multi/']);
    assert.equal(ls.code, 0);
    assert.match(ls.stdout, new RegExp(`${big.length} big\\.bin`));
    assert.equal((await aws(['s3', 'cp', '--no-progress', 's3://multi/big.bin', join(root, 'big.back')])).code, 0);
    assert.ok(readFileSync(join(root, 'big.back')).equals(big), 'read back byte for byte');
  });

  it('one node host stopped: writes go on; restarted from its folder, heal reports healthy and everything reads back', async () => {
    const victim = hosts.get(NODE_HOSTS[2]!)!;
    await stopHost(victim, 'SIGKILL');
    transcript.push(`$ kill -KILL <node ${NODE_HOSTS[2]}>   # its host goes down`);
    writeFileSync(join(root, 'more.bin'), more);
    assert.equal((await aws(['s3', 'cp', '--no-progress', join(root, 'more.bin'), 's3://multi/while-down.bin'])).code, 0);
    const down = await powerstore(['status', '--config', join(gatewayDir, 'gateway.json')]);
    assert.equal(down.code, 1, 'status says a node does not answer');
    await startHost(victim);
    const heal = await powerstore(['heal', '--config', join(gatewayDir, 'gateway.json')]);
    assert.equal(heal.code, 0, heal.stderr);
    assert.match(heal.stdout, /^node 2: checked \d+, missing [1-9]\d*, .*healed [1-9]\d*, failed 0$/m, 'the write node 2 missed is rebuilt there');
    assert.match(heal.stdout, /result: healed/);
    const again = await powerstore(['heal', '--dry-run', '--config', join(gatewayDir, 'gateway.json')]);
    assert.equal(again.code, 0, again.stdout);
    assert.match(again.stdout, /result: healthy/);
    const up = await powerstore(['status', '--config', join(gatewayDir, 'gateway.json')]);
    assert.equal(up.code, 0, up.stdout);
    for (const [key, body] of [['big.bin', big], ['while-down.bin', more]] as const) {
      assert.equal((await aws(['s3', 'cp', '--no-progress', `s3://multi/${key}`, join(root, `${key}.back`)])).code, 0);
      assert.ok(readFileSync(join(root, `${key}.back`)).equals(body), `${key} byte for byte`);
    }
  });
});
