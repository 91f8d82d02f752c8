// `powerstore init` (issue 13, item 2): the bundles it writes, run as the
// real CLI; and its plan (folders, bind addresses, start commands).

import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { deriveNodeKey } from '@powerstore/shared/keys.js';
import { ConfigError } from '@powerstore/shared/errors.js';
import { loadGatewayConfig } from '../config.js';
import { loadNodeConfig } from '../../../storage-node/src/config.js';
import { commandLine, parseHostList, planBundles } from './init-plan.js';

const POWERSTORE = fileURLToPath(new URL('./powerstore.js', import.meta.url));

function init(args: readonly string[], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [POWERSTORE, 'init', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

describe('powerstore init', () => {
  const root = mkdtempSync(join(tmpdir(), 'ps-init-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const nodes = 'db1.example:7000,db2.example:7000,10.0.0.3:7000,10.0.0.3:7001';

  it('writes a bundle per node and gateway: own key only, node certificates for their host from one CA, gateway config naming them', () => {
    const out = join(root, 'tls');
    const r = init(['--out', out, '--nodes', nodes, '--gateways', 'gw.example:9000', '--tls-nodes', '--redis', 'redis://cache:6379', '--access-key', 'AKINIT'],
      { POWERSTORE_SECRET_KEY: 'secret-from-the-environment' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['10.0.0.3-7000', '10.0.0.3-7001', 'db1.example', 'db2.example', 'gw.example', 'node-ca.pem']);
    assert.match(r.stdout, /endpoint: +http:\/\/gw\.example:9000/);
    assert.match(r.stdout, /access key: AKINIT/);
    const gw = loadGatewayConfig(join(out, 'gw.example', 'gateway.json'));
    assert.deepEqual(gw.nodes, ['https://db1.example:7000', 'https://db2.example:7000', 'https://10.0.0.3:7000', 'https://10.0.0.3:7001']);
    assert.equal(gw.nodeCaFile, join(out, 'gw.example', 'node-ca.pem'));
    assert.equal(gw.redis, 'redis://cache:6379');
    assert.ok(gw.kek && gw.adminToken, 'a KEK (Redis) and an admin token');
    assert.deepEqual(gw.credentials[0], { accessKey: 'AKINIT', secretKey: 'secret-from-the-environment', user: 'admin' });
    const secret = gw.secrets.get(0)!;
    ['db1.example', 'db2.example', '10.0.0.3-7000', '10.0.0.3-7001'].forEach((folder, i) => {
      const dir = join(out, folder);
      const node = loadNodeConfig(join(dir, 'node.json'));
      assert.equal(node.index, i);
      assert.deepEqual([...node.keyEntries.keys()], [0]);
      assert.ok(node.keyEntries.get(0)!.equals(deriveNodeKey(secret, 0, i)), `node ${i} holds its own key`);
      for (const f of ['node.json', 'node-key.pem']) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, `${folder}/${f} is owner-only`);
      const host = i < 2 ? `db${i + 1}.example` : '10.0.0.3';
      const text = execFileSync('openssl', ['x509', '-in', join(dir, 'node.pem'), '-noout', '-text'], { encoding: 'utf8' });
      assert.match(text, new RegExp(i < 2 ? `DNS:${host}` : `IP Address:${host}`), 'the certificate names the node\'s host');
      execFileSync('openssl', ['verify', '-CAfile', join(out, 'node-ca.pem'), join(dir, 'node.pem')], { stdio: 'ignore' });
      assert.ok(!readdirSync(dir).some((f) => f.includes('ca-key')), 'no CA key is left anywhere');
      const start = readFileSync(join(dir, 'start.sh'), 'utf8');
      const port = i === 3 ? 7001 : 7000;
      assert.match(start, new RegExp(`^exec powerstore node --config node\\.json --data /var/lib/powerstore --host ${i < 2 ? '0\\.0\\.0\\.0' : '10\\.0\\.0\\.3'} --port ${port} --tls-cert node\\.pem --tls-key node-key\\.pem$`, 'm'));
      assert.ok(readFileSync(join(dir, 'START.txt'), 'utf8').includes(`\n  ${start.match(/^exec (.*)$/m)![1]}\n`), 'START.txt gives the same command');
    });
    assert.ok(!readdirSync(out).some((f) => f.includes('ca-key')));
    assert.equal(statSync(join(out, 'gw.example', 'gateway.json')).mode & 0o777, 0o600);
  });

  it('without --tls-nodes: http:// node URLs, no certificates, no nodeCa', () => {
    const out = join(root, 'plain');
    assert.equal(init(['--out', out, '--nodes', nodes, '--gateways', 'gw.example:9000', '--data-dir', 'data']).code, 0);
    const gw = JSON.parse(readFileSync(join(out, 'gw.example', 'gateway.json'), 'utf8')) as { nodes: string[]; nodeCa?: string };
    assert.ok(gw.nodes.every((u) => u.startsWith('http://')));
    assert.equal(gw.nodeCa, undefined);
    assert.deepEqual(readdirSync(join(out, 'db1.example')).sort(), ['START.txt', 'node.json', 'start.sh']);
  });

  it('refuses to write over a folder that is not empty (one line, exit 2) unless --force', () => {
    const out = join(root, 'existing');
    assert.equal(init(['--out', out, '--nodes', nodes, '--gateways', 'gw.example:9000']).code, 0);
    const before = readFileSync(join(out, 'gw.example', 'gateway.json'), 'utf8');
    const again = init(['--out', out, '--nodes', nodes, '--gateways', 'gw.example:9000']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /^error: .*existing exists and is not empty.*--force[^\n]*\n$/);
    assert.equal(readFileSync(join(out, 'gw.example', 'gateway.json'), 'utf8'), before, 'nothing changed');
    writeFileSync(join(out, 'notes.txt'), 'mine');
    assert.equal(init(['--out', out, '--nodes', nodes, '--gateways', 'gw.example:9000', '--force']).code, 0);
    assert.notEqual(readFileSync(join(out, 'gw.example', 'gateway.json'), 'utf8'), before, 'a new cluster');
    assert.equal(readFileSync(join(out, 'notes.txt'), 'utf8'), 'mine', 'files that are not bundles are left alone');
  });

  it('bad input is one line on stderr and exit code 2; --help and --version answer', () => {
    const out = join(root, 'never');
    for (const [args, msg] of [
      [['--nodes', nodes, '--gateways', 'g:1'], /--out is required/],
      [['--out', out, '--gateways', 'g:1'], /--nodes is required/],
      [['--out', out, '--nodes', nodes], /--gateways is required/],
      [['--out', out, '--nodes', 'a:1,b:1,c:1', '--gateways', 'g:1'], /3 nodes; a cluster has 3t\+1/],
      [['--out', out, '--nodes', nodes, '--t', '2', '--gateways', 'g:1'], /7 for --t 2/],
      [['--out', out, '--nodes', 'a:1,b:1,c:1,d:70000', '--gateways', 'g:1'], /"d:70000" is not HOST:PORT/],
      [['--out', out, '--nodes', 'a:1,b:1,c:1,a:1', '--gateways', 'g:1'], /a:1 is given twice/],
      [['--out', out, '--nodes', nodes, '--gateways', 'g:1', '--redis', 'http://x'], /^error: --redis: /],
      [['--out', out, '--nodes', nodes, '--gateways', 'g:1', '--access-key', 'A'], /both --access-key and --secret-key/],
      [['--out', out, '--nodes', nodes, '--gateways', 'g:1', '--region', 'Mars North'], /region must be like "us-east-1"/],
      [['--out', out, '--bogus'], /Unknown option '--bogus'/],
    ] as const) {
      const r = init(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    }
    assert.throws(() => statSync(out), 'nothing written');
    const help = init(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: powerstore init \[flags\]/);
    assert.match(help.stdout, /--tls-nodes/);
    assert.match(init(['--version']).stdout, /^powerstore \d+\.\d+\.\d+/);
  });
});

describe('init plan', () => {
  it('a host with one process: a folder named after it; with several: one per port; IP hosts bind to themselves, names to every interface', () => {
    const plan = planBundles(parseHostList('n0:7000,10.1.1.1:7000,10.1.1.1:7001,[::1]:7000', '--nodes'), parseHostList('n0:9000', '--gateways'),
      { dataDir: '/srv/ps data', tlsNodes: false });
    assert.deepEqual(plan.map((b) => b.folder), ['n0-7000', '10.1.1.1-7000', '10.1.1.1-7001', '__1', 'n0-9000']);
    assert.deepEqual(plan.map((b) => b.command[b.command.indexOf('--host') + 1]), ['0.0.0.0', '10.1.1.1', '10.1.1.1', '::1', '0.0.0.0']);
    assert.equal(commandLine(plan[0]!.command), "powerstore node --config node.json --data '/srv/ps data' --host 0.0.0.0 --port 7000");
  });

  it('refuses a bad HOST:PORT with a ConfigError naming the flag', () => {
    for (const bad of ['nohost', ':7000', 'a:0', 'a:b', '[zz]:1', 'a b:1']) {
      assert.throws(() => parseHostList(bad, '--gateways'), (e: unknown) => e instanceof ConfigError && e.message.startsWith('--gateways: '), bad);
    }
  });
});
