// The aws CLI (what users type) against a real cluster over HTTP: make a
// bucket, copy files below the multipart threshold up and down, list,
// remove. Bytes are compared end to end.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { aws } from './harness/cli.js';
import { startTestCluster, type TestCluster } from './harness/cluster.js';

describe('aws CLI', () => {
  let tc: TestCluster;
  const dir = mkdtempSync(join(tmpdir(), 'ps-awscli-'));
  before(async () => {
    tc = await startTestCluster({ t: 1 });
  });
  after(() => tc?.dispose());

  const ok = async (args: string[]): Promise<string> => {
    const r = await aws(tc, args);
    assert.equal(r.code, 0, `aws ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };

  it('mb, cp up and down, ls, rm, rb', async () => {
    await ok(['s3', 'mb', 's3://cli']);
    const files = { 'small.txt': Buffer.from('hello world\n'), 'five-mib.bin': randomBytes(5 * 1024 * 1024), 'empty': Buffer.alloc(0) };
    for (const [name, data] of Object.entries(files)) {
      writeFileSync(join(dir, name), data);
      await ok(['s3', 'cp', join(dir, name), `s3://cli/dir/${name}`]);
    }
    const listing = await ok(['s3', 'ls', 's3://cli/dir/']);
    for (const [name, data] of Object.entries(files)) assert.match(listing, new RegExp(`\\s${data.length} ${name.replace('.', '\\.')}\\n`));
    assert.match(await ok(['s3', 'ls', 's3://cli/']), /PRE dir\//);
    for (const [name, data] of Object.entries(files)) {
      await ok(['s3', 'cp', `s3://cli/dir/${name}`, join(dir, `${name}.back`)]);
      assert.ok(readFileSync(join(dir, `${name}.back`)).equals(data), `${name} came back whole`);
    }
    await ok(['s3', 'rm', '--recursive', 's3://cli/dir/']);
    assert.equal((await ok(['s3', 'ls', 's3://cli/', '--recursive'])).trim(), '');
    await ok(['s3', 'rb', 's3://cli']);
    assert.doesNotMatch(await ok(['s3', 'ls']), /\scli\n/);
  });

  it('fails cleanly on a missing object', async () => {
    await ok(['s3', 'mb', 's3://cli2']);
    const r = await aws(tc, ['s3', 'cp', 's3://cli2/missing', join(dir, 'nothing')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /404|Not Found/);
  });
});
