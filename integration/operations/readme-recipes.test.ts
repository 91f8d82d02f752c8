// The client recipes of README.md ("Pointing clients at it") are run as
// written: the rclone config block, the s3cmd config block and the boto3
// snippet are cut out of README.md by their fences' info strings
// (```ini rclone-recipe, ```ini s3cmd-recipe, ```python boto3-recipe), given a
// real cluster's endpoint and keys in place of the placeholders, and run with
// the real clients (make a bucket, put, list, get, compare). A README block
// that stops working fails here. Also: the README and docs/*.md link nowhere
// outside the repository (issue 13 item 9).

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { run } from '../harness/cli.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';

/** The repository's root (this file runs from dist/integration/operations/). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = join(ROOT, 'README.md');

/** The placeholders the README's recipes use, as `npm start` would fill them in. */
const PLACEHOLDER = { endpoint: 'http://127.0.0.1:9000', hostPort: '127.0.0.1:9000', key: '<access key>', secret: '<secret key>' };

/** The one fenced block of `markdown` whose info string is `info` (e.g. "ini rclone-recipe"). */
function fencedBlock(markdown: string, info: string): string {
  const blocks = [...markdown.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].filter((m) => m[1]!.trim() === info);
  assert.equal(blocks.length, 1, `README.md must hold exactly one \`\`\`${info} block (found ${blocks.length})`);
  return blocks[0]![2]!;
}

/** A recipe with the cluster's endpoint and keys in place of the placeholders (each must be there). */
function fill(recipe: string, tc: TestCluster, name: string): string {
  for (const p of [PLACEHOLDER.hostPort, PLACEHOLDER.key, PLACEHOLDER.secret]) {
    assert.ok(recipe.includes(p), `the ${name} recipe no longer holds the placeholder ${p}`);
  }
  // By host name, not address: clients fall back to path style for an IP
  // address whatever they are told (botocore does), so only a name shows
  // that the recipe's path-style setting is there (BUCKET.localhost does not resolve).
  const endpoint = tc.cluster.endpoint.replace('//127.0.0.1:', '//localhost:');
  assert.match(endpoint, /^http:\/\/localhost:\d+$/);
  const { credentials } = tc.cluster;
  return recipe
    .replaceAll(PLACEHOLDER.endpoint, endpoint)
    .replaceAll(PLACEHOLDER.hostPort, endpoint.replace(/^https?:\/\//, ''))
    .replaceAll(PLACEHOLDER.key, credentials.accessKey)
    .replaceAll(PLACEHOLDER.secret, credentials.secretKey);
}

const homes: string[] = [];

/** A fresh folder standing in for the user's home: no config of this machine's user leaks in. */
function home(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  homes.push(dir);
  return dir;
}

describe('README client recipes, run against a real cluster', () => {
  let tc: TestCluster;
  const readme = readFileSync(README, 'utf8');
  const data = randomBytes(256 * 1024 + 17);

  before(async () => {
    tc = await startTestCluster({ t: 1 });
  });
  after(async () => {
    await tc?.dispose();
    for (const dir of homes) rmSync(dir, { recursive: true, force: true });
  });

  it('the rclone remote block: mkdir, copyto, lsf, copyto back, same bytes', async () => {
    const block = fencedBlock(readme, 'ini rclone-recipe');
    // The README's prose names the remote "powerstore:".
    assert.match(block, /^\[powerstore\]$/m);
    const dir = home('ps-readme-rclone-');
    const conf = join(dir, 'rclone.conf');
    writeFileSync(conf, fill(block, tc, 'rclone'));
    writeFileSync(join(dir, 'up.bin'), data);
    const env = { PATH: process.env.PATH, HOME: dir };
    const rc = (...args: string[]): ReturnType<typeof run> => run('rclone', ['--config', conf, '--retries', '1', ...args], env);
    let r = await rc('mkdir', 'powerstore:rc-recipe');
    assert.equal(r.code, 0, r.stderr);
    r = await rc('copyto', join(dir, 'up.bin'), 'powerstore:rc-recipe/dir/up.bin');
    assert.equal(r.code, 0, r.stderr);
    r = await rc('lsf', '-R', 'powerstore:rc-recipe');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['dir/', 'dir/up.bin']);
    r = await rc('copyto', 'powerstore:rc-recipe/dir/up.bin', join(dir, 'down.bin'));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(join(dir, 'down.bin')).equals(data), 'rclone read back other bytes');
  });

  it('the s3cmd .s3cfg block: mb, put, ls, get, same bytes', async () => {
    const dir = home('ps-readme-s3cmd-');
    const conf = join(dir, 's3cfg');
    writeFileSync(conf, fill(fencedBlock(readme, 'ini s3cmd-recipe'), tc, 's3cmd'));
    writeFileSync(join(dir, 'up.bin'), data);
    const env = { PATH: process.env.PATH, HOME: dir };
    const s3cmd = (...args: string[]): ReturnType<typeof run> => run('s3cmd', ['-c', conf, ...args], env);
    let r = await s3cmd('mb', 's3://s3cmd-recipe');
    assert.equal(r.code, 0, r.stderr);
    r = await s3cmd('put', join(dir, 'up.bin'), 's3://s3cmd-recipe/dir/up.bin');
    assert.equal(r.code, 0, r.stderr);
    r = await s3cmd('ls', 's3://s3cmd-recipe/dir/');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`\\s${data.length}\\s+s3://s3cmd-recipe/dir/up\\.bin$`, 'm'));
    r = await s3cmd('get', '--force', 's3://s3cmd-recipe/dir/up.bin', join(dir, 'down.bin'));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(join(dir, 'down.bin')).equals(data), 's3cmd read back other bytes');
  });

  it('the boto3 snippet: runs as written, then put, list and get through its client', async () => {
    const dir = home('ps-readme-boto3-');
    writeFileSync(join(dir, 'up.bin'), data);
    const script = [
      fill(fencedBlock(readme, 'python boto3-recipe'), tc, 'boto3'),
      // Checks through the snippet's own client `s3` and its bucket "photos".
      'import sys',
      "assert s3.get_object(Bucket='photos', Key='hello.txt')['Body'].read() == b'hello'",
      "s3.put_object(Bucket='photos', Key='dir/up.bin', Body=open(sys.argv[1], 'rb').read())",
      "keys = [c['Key'] for c in s3.list_objects_v2(Bucket='photos')['Contents']]",
      "assert keys == ['dir/up.bin', 'hello.txt'], keys",
      "assert s3.get_object(Bucket='photos', Key='dir/up.bin')['Body'].read() == open(sys.argv[1], 'rb').read()",
      "print('recipe ok')",
      '',
    ].join('\n');
    writeFileSync(join(dir, 'recipe.py'), script);
    const r = await run('python3', [join(dir, 'recipe.py'), join(dir, 'up.bin')], { PATH: process.env.PATH, HOME: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ["b'hello'", 'recipe ok']);
  });
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[`*_]/g, '').replace(/[^\p{L}\p{N}\- ]/gu, '').replace(/ /g, '-');
}

function anchors(markdown: string): Set<string> {
  const outside = markdown.replace(/^```[\s\S]*?^```$/gm, '');
  return new Set([...outside.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1]!)));
}

/** Every markdown link target (inline and reference style) outside code. */
function linkTargets(markdown: string): string[] {
  const outside = markdown.replace(/^```[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
  return [
    ...[...outside.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
    ...[...outside.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]!),
  ];
}

/** Why `target`, linked from the file `from`, leads outside the repository or nowhere; null if it is fine. */
function badLink(from: string, target: string): string | null {
  if (/^https?:\/\//i.test(target)) return null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return 'a link by a scheme other than http(s) (file:, …)';
  const [path = '', frag] = target.split('#', 2);
  if (path.startsWith('/')) return 'an absolute path';
  const file = path === '' ? from : resolve(dirname(from), decodeURIComponent(path));
  const inRepo = relative(ROOT, file);
  if (inRepo.startsWith('..') || inRepo === '') return 'a path outside the repository';
  if (!existsSync(file)) return 'a file the repository does not hold';
  if (frag !== undefined && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(frag)) {
    return `no heading with the anchor #${frag} in ${relative(ROOT, file)}`;
  }
  return null;
}

describe('README.md and docs/*.md link nowhere outside the repository', () => {
  const files = [README, ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'docs', f))];

  for (const file of files) {
    it(`${relative(ROOT, file)}: every link is https, or a file or heading inside the repository`, () => {
      const bad = linkTargets(readFileSync(file, 'utf8'))
        .map((t) => [t, badLink(file, t)] as const)
        .filter(([, why]) => why !== null)
        .map(([t, why]) => `${t}: ${why!}`);
      assert.deepEqual(bad, []);
    });
  }

  it('the checker refuses links outside the repository and accepts ones inside', () => {
    assert.deepEqual(linkTargets('[a](../x.md) [b](/work/shared/DESIGN.md) [c](file:///etc/passwd) `[d](../no)`\n[e]: ../ref.md\n'),
      ['../x.md', '/work/shared/DESIGN.md', 'file:///etc/passwd', '../ref.md']);
    assert.match(badLink(README, '../x.md') ?? '', /outside the repository/);
    assert.match(badLink(README, '/work/shared/DESIGN.md') ?? '', /absolute path/);
    assert.match(badLink(README, 'file:///etc/passwd') ?? '', /scheme/);
    assert.match(badLink(README, 'docs/missing.md') ?? '', /does not hold/);
    assert.match(badLink(README, '#no-such-heading') ?? '', /no heading/);
    assert.equal(badLink(README, 'docs/operations.md#many-hosts'), null);
    assert.equal(badLink(README, '#pointing-clients-at-it'), null);
    assert.equal(badLink(join(ROOT, 'docs', 'operations.md'), '../README.md'), null);
    assert.equal(badLink(README, 'https://aws.amazon.com/s3/'), null);
  });
});
