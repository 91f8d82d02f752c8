// The "before" build of an A/B comparison: a git worktree of the base
// revision beside the repository's own, built, with the repository's
// installed packages. Its node_modules links each installed package to the
// repository's, except the workspace packages (@powerstore/shared): those
// links are made again relative to the worktree, so the base build imports
// its own shared code. (Linking the whole node_modules folder would resolve
// @powerstore/shared to the head's shared/: a change there would be
// compared with itself.)

import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';

/** Whether symlink `link` (in folder `dir`) points into `root` but not into its node_modules: a workspace package. */
function isWorkspaceLink(root: string, dir: string, link: string): boolean {
  const target = resolve(dir, link);
  const rel = relative(root, target);
  return !isAbsolute(link) && !rel.startsWith('..') && !rel.startsWith('node_modules');
}

/**
 * Makes `tree`/node_modules from `root`/node_modules: a link to each
 * installed package, and each workspace link made again with the same
 * relative target (so it points into `tree`). Scoped folders (@scope/)
 * holding a workspace link are real folders, their other packages linked.
 */
export function linkModules(root: string, tree: string): void {
  const from = join(root, 'node_modules');
  const to = join(tree, 'node_modules');
  mkdirSync(to, { recursive: true });
  const linkEntry = (fromDir: string, toDir: string, name: string): void => {
    const src = join(fromDir, name);
    const st = lstatSync(src);
    if (st.isSymbolicLink()) {
      const link = readlinkSync(src);
      if (isWorkspaceLink(root, fromDir, link)) {
        symlinkSync(link, join(toDir, name));
        return;
      }
    }
    if (st.isDirectory() && name.startsWith('@') && readdirSync(src).some((n) => {
      const p = join(src, n);
      return lstatSync(p).isSymbolicLink() && isWorkspaceLink(root, src, readlinkSync(p));
    })) {
      mkdirSync(join(toDir, name));
      for (const n of readdirSync(src)) linkEntry(src, join(toDir, name), n);
      return;
    }
    symlinkSync(src, join(toDir, name));
  };
  for (const name of readdirSync(from)) linkEntry(from, to, name);
}

export interface BaseTree {
  readonly dir: string;
  /** The base revision's full commit id. */
  readonly commit: string;
  /** Removes the worktree (and git's record of it). */
  remove(): void;
}

const git = (cwd: string, args: readonly string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** The commit `rev` names in the repository at `root`; throws with git's one line when it names none. */
export function resolveCommit(root: string, rev: string): string {
  try {
    return git(root, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  } catch {
    throw new Error(`'${rev}' names no commit of this repository`);
  }
}

/** Checks out `commit` at `dir` (a new folder), links the packages and builds it (`npm run build`). */
export function prepareBaseTree(root: string, commit: string, dir: string, log: (line: string) => void): BaseTree {
  git(root, ['worktree', 'add', '--detach', dir, commit]);
  const tree: BaseTree = {
    dir, commit,
    remove: () => {
      try {
        git(root, ['worktree', 'remove', '--force', dir]);
      } catch {
        // Already gone, or never made: nothing of it is left to remove.
      }
    },
  };
  try {
    linkModules(root, dir);
    log(`building ${commit.slice(0, 12)} in ${dir}`);
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (e) {
    tree.remove();
    throw e;
  }
  return tree;
}
