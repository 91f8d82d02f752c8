import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GATEWAY_V8_FLAGS, MIN_NODE_MAJOR, relaunchArgv, runtimeProblem, V8_FLAGS } from './runtime.js';

test('Node.js 24 and later run; older ones are refused with what to do', () => {
  assert.equal(runtimeProblem('v24.0.0'), null);
  assert.equal(runtimeProblem('v26.12.1'), null);
  for (const old of ['v20.20.2', 'v22.19.0', 'v23.11.1']) {
    assert.match(runtimeProblem(old) ?? '', new RegExp(`needs Node.js ${MIN_NODE_MAJOR} or later, and this is ${old.replace(/\./g, '\\.')}: run it through npm`));
  }
  assert.ok(runtimeProblem('garbage'));
});

test('this runtime is one PoWerStore runs on', () => {
  assert.equal(runtimeProblem(process.version), null);
});

test('relaunchArgv: the gateway flags in place of the same flags, the rest kept in order; null when all are there', () => {
  const flags = ['--max-semi-space-size=4'];
  assert.deepEqual(
    relaunchArgv('/n', ['--max-semi-space-size=2', '--enable-source-maps'], ['/n', '/bin.js', 'gateway', '--port', '0'], flags),
    ['/n', '--max-semi-space-size=4', '--enable-source-maps', '/bin.js', 'gateway', '--port', '0'],
  );
  assert.deepEqual(relaunchArgv('/n', [], ['/n', '/bin.js', 'gateway'], flags), ['/n', '--max-semi-space-size=4', '/bin.js', 'gateway']);
  assert.equal(relaunchArgv('/n', ['--inspect', '--max-semi-space-size=4'], ['/n', '/bin.js', 'gateway'], flags), null);
  assert.equal(relaunchArgv('/n', ['--max-semi-space-size=2'], ['/n', '/bin.js'], []), null);
});

test('a gateway gets a larger young generation than every other process', () => {
  assert.deepEqual(V8_FLAGS, ['--max-semi-space-size=2']);
  assert.deepEqual(GATEWAY_V8_FLAGS, ['--max-semi-space-size=4']);
});
