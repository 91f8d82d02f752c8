import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../args.js';
import { DEFAULT_PAIRS, parseAbArgs } from './args.js';

test('the base and pairs are the A/B flags; the rest go to both bench runs', () => {
  assert.deepEqual(parseAbArgs(['--base', 'main~3', '--quick', '--pairs=3', '--t', '2']), {
    base: 'main~3', pairs: 3, benchArgs: ['--quick', '--t', '2'], help: false,
  });
  assert.deepEqual(parseAbArgs(['--base=v1']), { base: 'v1', pairs: DEFAULT_PAIRS, benchArgs: [], help: false });
});

test('bad A/B flags are one-line usage errors', () => {
  const refused = (argv: string[], message: RegExp): void => assert.throws(() => parseAbArgs(argv), (e: unknown) => e instanceof UsageError && message.test(e.message) && !e.message.includes('\n'));
  refused(['--quick'], /--base names the build/);
  refused(['--base'], /--base needs a value/);
  refused(['--base', '--quick'], /--base needs a value/);
  refused(['--base', 'x', '--pairs', '0'], /--pairs must be an integer from 1 to 50, got '0'/);
  refused(['--base', 'x', '--pairs', 'two'], /--pairs must be an integer/);
  // The bench's own parser judges the flags passed on.
  refused(['--base', 'x', '--fast'], /fast/);
  refused(['--base', 'x', '--t', '9'], /--t must be an integer/);
  // A profile or the growth phases are runs of their own.
  refused(['--base', 'x', '--profile', '/tmp/p'], /--profile is for one run/);
  refused(['--base', 'x', '--scale'], /--scale is for one run/);
});

test('--help needs no base', () => {
  assert.equal(parseAbArgs(['--help']).help, true);
});
