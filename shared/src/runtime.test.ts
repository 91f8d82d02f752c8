import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MIN_NODE_MAJOR, runtimeProblem } from './runtime.js';

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
