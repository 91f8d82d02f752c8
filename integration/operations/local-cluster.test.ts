// `npm start` as users run it (the compiled start script): one clear line
// and a non-zero exit for bad flags or a corrupt data folder; SIGTERM stops
// every process; starting again on the same folder keeps every object.

import { GetObjectCommand, PutObjectCommand, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { run } from '../harness/cli.js';

const START = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../gateway/src/cli/start.js');

function startScript(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [START, ...args], { PATH: process.env.PATH, POWERSTORE_LOG_LEVEL: 'warn' }, 60_000);
}

interface Running {
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  stop(): Promise<number | null>;
}

function startCluster(dataDir: string): Promise<Running> {
  const proc = spawn(process.execPath, [START, '--data', dataDir, '--port', '0'], { env: { ...process.env, POWERSTORE_LOG_LEVEL: 'warn' } });
  let out = '';
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner: ${out}`)), 60_000);
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const endpoint = /endpoint:\s+(\S+)/.exec(out)?.[1];
      const accessKey = /access key:\s+(\S+)/.exec(out)?.[1];
      const secretKey = /secret key:\s+(\S+)/.exec(out)?.[1];
      if (endpoint && accessKey && secretKey) {
        clearTimeout(timer);
        resolveStart({
          endpoint, accessKey, secretKey,
          stop: () => new Promise((r) => {
            proc.once('exit', (code) => r(code));
            proc.kill('SIGTERM');
          }),
        });
      }
    });
    proc.once('exit', (code) => reject(new Error(`start exited ${code}: ${out}`)));
  });
}

describe('npm start', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'ps-start-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('refuses bad flags and a corrupt data folder with one line and exit code 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--t', 'abc'], /--t must be an integer/],
      [['--t', '9'], /--t must be an integer from 1 to/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['--port', '70000'], /--port must be an integer/],
      [['--access-key', 'only-one'], /both --access-key and --secret-key/],
    ];
    for (const [args, msg] of cases) {
      const r = await startScript(['--data', tmp(), ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg);
    }
    const corrupt = tmp();
    writeFileSync(join(corrupt, 'cluster.json'), '{"format": "powerstore-local-cluster-v1", "t": ');
    const r = await startScript(['--data', corrupt]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: .*cluster\.json is not valid JSON/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  it('stops on SIGTERM and keeps every object across a restart', async () => {
    const data = tmp();
    mkdirSync(data, { recursive: true });
    const first = await startCluster(data);
    const client = (r: Running): S3Client => new S3Client({
      endpoint: r.endpoint, region: 'us-east-1', forcePathStyle: true,
      credentials: { accessKeyId: r.accessKey, secretAccessKey: r.secretKey },
    });
    const s1 = client(first);
    await s1.send(new CreateBucketCommand({ Bucket: 'keep' }));
    await s1.send(new PutObjectCommand({ Bucket: 'keep', Key: 'k', Body: 'kept across restarts' }));
    s1.destroy();
    assert.equal(await first.stop(), 0, 'exit code 0 on SIGTERM');

    const second = await startCluster(data);
    assert.equal(second.accessKey, first.accessKey, 'credentials are kept in the data folder');
    const s2 = client(second);
    const got = await s2.send(new GetObjectCommand({ Bucket: 'keep', Key: 'k' }));
    assert.equal(await got.Body!.transformToString(), 'kept across restarts');
    s2.destroy();
    assert.equal(await second.stop(), 0);
  });
});
