/* global process, console */
// A mutation sandbox's build (Stryker runs it without a shell, so this is one
// command). First it links the sandbox's own node_modules/@powerstore/shared
// to the sandbox's shared/ folder: Stryker's usual node_modules symlink would
// lead `@powerstore/shared` back to the project's shared/, and the gateway's
// and node's tests would then run the unmutated protocol core. Every other
// package resolves from the project's node_modules, two folders up
// (.stryker-tmp/sandbox-X). Then it builds, as `npm run build` does.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

const here = process.cwd();
if (!here.includes('.stryker-tmp')) {
  console.error('build-sandbox: not in a mutation sandbox; nothing done');
  process.exit(2);
}
const link = join(here, 'node_modules', '@powerstore', 'shared');
if (!existsSync(link)) {
  mkdirSync(join(here, 'node_modules', '@powerstore'), { recursive: true });
  symlinkSync('../../shared', link, 'dir');
}
const build = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
process.exit(build.status ?? 1);
