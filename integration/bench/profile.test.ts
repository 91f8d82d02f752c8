import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { nameProfiles, profileEnv } from './profile.js';

test('--profile: a child started with the launcher\'s node flags leaves a profile, named after its process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-prof-'));
  try {
    const env = profileEnv(join(dir, 'out'));
    // As the launcher does (child.ts): the flags go to node itself, split on spaces.
    const flags = env.POWERSTORE_CHILD_NODE_FLAGS!.split(' ');
    const proc = spawn(process.execPath, [...flags, '-e', 'let x = 0; for (let i = 0; i < 1e6; i++) x += i; process.exit(0)']);
    await new Promise((resolve) => proc.once('exit', resolve));
    const { named, missing, others } = nameProfiles(join(dir, 'out'), [{ name: 'gateway', pid: proc.pid! }, { name: 'node-0', pid: 1 }]);
    assert.deepEqual(named, ['gateway.cpuprofile']);
    assert.deepEqual(missing, ['node-0']);
    assert.deepEqual(others, []);
    const profile = JSON.parse(readFileSync(join(dir, 'out', 'gateway.cpuprofile'), 'utf8')) as { nodes: unknown[] };
    assert.ok(profile.nodes.length > 0);
    assert.ok(!existsSync(join(dir, 'out', `CPU.${proc.pid}`)));
    assert.throws(() => profileEnv(join(dir, 'a b')), /spaces/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
