import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBenchArgs, UsageError } from './args.js';

test('bench flags: defaults, --profile made absolute, --scale with its defaults and overrides', () => {
  const none = parseBenchArgs([]);
  assert.equal(none.t, 1);
  assert.equal(none.profile, null);
  assert.equal(none.scale, null);
  assert.equal(parseBenchArgs(['--profile', 'prof'], '/home/u').profile, '/home/u/prof');
  assert.equal(parseBenchArgs(['--profile', '/tmp/p'], '/home/u').profile, '/tmp/p');
  assert.deepEqual(parseBenchArgs(['--scale']).scale, { objects: 200_000, listKeys: 100_000 });
  assert.deepEqual(parseBenchArgs(['--scale', '--scale-objects', '500']).scale, { objects: 500, listKeys: 500 });
  assert.deepEqual(parseBenchArgs(['--scale', '--scale-objects', '500', '--list-keys', '20']).scale, { objects: 500, listKeys: 20 });
});

test('bench flags: each bad flag is a one-line UsageError', () => {
  const bad: string[][] = [
    ['--t', '0'], ['--t', 'x'], ['--profile', ''], ['--scale-objects', '5'], ['--list-keys', '5'],
    ['--scale', '--scale-objects', '0'], ['--scale', '--scale-objects', '10', '--list-keys', '11'], ['--nope'],
  ];
  for (const argv of bad) {
    assert.throws(() => parseBenchArgs(argv), (e: unknown) => e instanceof UsageError && !e.message.includes('\n'), argv.join(' '));
  }
});
