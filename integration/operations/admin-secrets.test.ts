// `npm start` with its secrets kept out of `ps` (security review F14) and
// the admin endpoints closed to anonymous callers (F11), as users run it:
// the S3 secret key from --secret-key-file, the admin token from
// POWERSTORE_ADMIN_TOKEN. No process's command line holds either secret,
// and the children (nodes, gateway) do not get them by environment either:
// they read their config files (0600).

import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';

const START = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../gateway/src/cli/start.js');

/** Every process's command line, by pid (those this user may read). */
function commandLines(): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      out.set(Number(name), readFileSync(`/proc/${name}/cmdline`).toString('utf8').replaceAll('\0', ' '));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The pids descending from `root`. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const pid of commandLines().keys()) {
    try {
      // Field 4 of /proc/PID/stat, after the parenthesised command name.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [pid, pp] of parent) if (pp === p) { out.push(pid); walk(pid); }
  };
  walk(root);
  return out;
}

describe('npm start keeps its secrets out of ps (F14) and its admin endpoints closed (F11)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-secrets-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('secret key by file, admin token by environment: in no command line, in no child environment; S3 and admin work with them', async () => {
    const secretKey = `sk-${randomBytes(16).toString('hex')}`;
    const adminToken = `tok-${randomBytes(16).toString('hex')}`;
    const secretFile = join(dir, 'secret-key');
    writeFileSync(secretFile, `${secretKey}\n`, { mode: 0o600 });
    const proc = spawn(process.execPath, [START, '--data', join(dir, 'data'), '--port', '0', '--access-key', 'PSSECRETSTEST', '--secret-key-file', secretFile], {
      env: { ...process.env, POWERSTORE_LOG_LEVEL: 'warn', POWERSTORE_ADMIN_TOKEN: adminToken },
    });
    let out = '';
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    try {
      const endpoint = await new Promise<string>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`no banner: ${out} ${err}`)), 120_000);
        proc.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const e = /endpoint:\s+(\S+)/.exec(out)?.[1];
          if (e && out.includes('Ctrl-C')) {
            clearTimeout(timer);
            res(e);
          }
        });
        void exited.then((code) => rej(new Error(`start exited ${code}: ${err}`)));
      });
      assert.match(out, new RegExp(`admin token: ${adminToken}`), 'the token is printed beside the S3 credentials');
      assert.equal(statSync(join(dir, 'data', 'cluster.json')).mode & 0o777, 0o600);
      assert.equal((JSON.parse(readFileSync(join(dir, 'data', 'cluster.json'), 'utf8')) as { adminToken?: string }).adminToken, adminToken);

      const children = descendants(proc.pid!);
      assert.ok(children.length >= 5, `4 nodes and a gateway under start.js (got ${children.length})`);
      for (const [pid, cmd] of commandLines()) {
        assert.ok(!cmd.includes(secretKey), `process ${pid} shows the secret key: ${cmd}`);
        assert.ok(!cmd.includes(adminToken), `process ${pid} shows the admin token: ${cmd}`);
      }
      for (const pid of children) {
        let environ = '';
        try {
          environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
        } catch {
          continue;
        }
        assert.ok(!environ.includes(adminToken) && !environ.includes(secretKey), `child ${pid} was given a secret by environment`);
      }

      const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'PSSECRETSTEST', secretAccessKey: secretKey } });
      try {
        assert.ok(Array.isArray((await s3.send(new ListBucketsCommand({}))).Buckets), 'the secret from the file signs S3 requests');
      } finally {
        s3.destroy();
      }

      const anon = await fetch(`${endpoint}/_powerstore/health`);
      assert.equal(anon.status, 401);
      assert.doesNotMatch(await anon.text(), /127\.0\.0\.1|nodes|writer/);
      assert.equal((await fetch(`${endpoint}/_powerstore/metrics`)).status, 401);
      const live = await fetch(`${endpoint}/_powerstore/live`);
      assert.equal(live.status, 200);
      assert.deepEqual(await live.json(), { ok: true });
      const health = await fetch(`${endpoint}/_powerstore/health`, { headers: { authorization: `Bearer ${adminToken}` } });
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { nodes: unknown[] }).nodes.length, 4);
      assert.equal((await fetch(`${endpoint}/_powerstore/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })).status, 200);
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
  });
});
