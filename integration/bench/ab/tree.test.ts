import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { linkModules, resolveCommit } from './tree.js';

test('the base tree gets every installed package, and its own workspace packages', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ab-tree-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'root');
  const tree = join(dir, 'tree');
  // The repository: an installed package, a scoped one, and a workspace package linked from @powerstore/.
  for (const p of ['node_modules/left-pad', 'node_modules/@aws-sdk/client-s3', 'node_modules/@powerstore', 'shared', 'node_modules/.bin']) mkdirSync(join(root, p), { recursive: true });
  writeFileSync(join(root, 'node_modules/left-pad/index.js'), 'installed');
  writeFileSync(join(root, 'node_modules/@aws-sdk/client-s3/index.js'), 'sdk');
  writeFileSync(join(root, 'shared/which.js'), 'head');
  symlinkSync('../../shared', join(root, 'node_modules/@powerstore/shared'));
  // The worktree: the base revision's own shared/.
  mkdirSync(join(tree, 'shared'), { recursive: true });
  writeFileSync(join(tree, 'shared/which.js'), 'base');

  linkModules(root, tree);

  assert.equal(readFileSync(join(tree, 'node_modules/left-pad/index.js'), 'utf8'), 'installed');
  assert.equal(readFileSync(join(tree, 'node_modules/@aws-sdk/client-s3/index.js'), 'utf8'), 'sdk');
  // The workspace package is the worktree's, not the repository's.
  assert.equal(readFileSync(join(tree, 'node_modules/@powerstore/shared/which.js'), 'utf8'), 'base');
  assert.equal(realpathSync(join(tree, 'node_modules/@powerstore/shared')), realpathSync(join(tree, 'shared')));
  // Scopes without a workspace package are one link, as are ordinary packages.
  assert.ok(lstatSync(join(tree, 'node_modules/@aws-sdk')).isSymbolicLink());
  assert.ok(lstatSync(join(tree, 'node_modules/.bin')).isSymbolicLink());
  assert.ok(!lstatSync(join(tree, 'node_modules/@powerstore')).isSymbolicLink());
});

test('a revision is resolved to its commit, and a name of none is refused', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ab-git-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q');
  writeFileSync(join(dir, 'f'), '1');
  git('add', 'f');
  git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'one');
  assert.equal(resolveCommit(dir, 'HEAD'), git('rev-parse', 'HEAD'));
  assert.throws(() => resolveCommit(dir, 'no-such-branch'), /'no-such-branch' names no commit/);
});
