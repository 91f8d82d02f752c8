import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { once } from 'node:events';
import { until } from '@powerstore/shared/testing/until.js';
import { LOG_FILES_KEPT, RotatingLog } from './log-file.js';

test('a log file is rotated at its size: whole lines, three old files kept, the oldest dropped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'gateway.log');
  writeFileSync(path, 'from an earlier run\n'); // counted: appending continues the same file
  const log = new RotatingLog(path, 100);
  const line = (i: number): string => `{"n":${String(i).padStart(3, '0')},"pad":"${'x'.repeat(20)}"}\n`; // 36 bytes
  for (let i = 0; i < 20; i++) log.write(line(i));
  log.end();
  await once((log as unknown as { out: NodeJS.EventEmitter }).out, 'finish');
  assert.ok(!existsSync(`${path}.${LOG_FILES_KEPT + 1}`));
  const files = [path, `${path}.1`, `${path}.2`, `${path}.3`];
  // The rotated streams flush on their own; 50 ms was not always enough on a loaded machine.
  const whole = (): boolean => {
    const ns = [...files.slice().reverse().map((f) => readFileSync(f, 'utf8')).join('').matchAll(/"n":(\d+)/g)].map((m) => Number(m[1]));
    return files.every((f) => readFileSync(f, 'utf8').endsWith('\n')) && ns.at(-1) === 19 && ns.every((n, i) => n === ns[0]! + i);
  };
  await until('the rotated streams\' last flushes', whole, 10_000, 10);
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    assert.ok(Buffer.byteLength(text) <= 100, `${f} is ${Buffer.byteLength(text)} bytes`);
    assert.ok(text.endsWith('\n'));
  }
  // The newest lines are in the current file, the ones before in .1, and so on: nothing lost in between.
  const kept = files.slice().reverse().map((f) => readFileSync(f, 'utf8')).join('');
  const ns = [...kept.matchAll(/"n":(\d+)/g)].map((m) => Number(m[1]));
  assert.equal(ns.at(-1), 19);
  assert.deepEqual(ns, ns.map((_, i) => ns[0]! + i));
});
