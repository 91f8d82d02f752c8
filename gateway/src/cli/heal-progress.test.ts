import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endLine, HealProgress, progressLine, startLine } from './heal-progress.js';

test('progress lines: the estimate, done/total with rate and time left, the totals', () => {
  assert.equal(startLine(5000, false), 'heal: about 5000 history entries to check');
  assert.equal(startLine(null, true), 'scrub: an unknown number of history entries to check');
  assert.equal(progressLine(1200, 5000, 5000, false), 'heal: 1200 of about 5000 history entries checked (24%), 240/s, about 16 s left');
  assert.equal(progressLine(100, 1_000_000, 10_000, true), 'scrub: 100 of about 1000000 history entries checked (0%), 10/s, about 1667 min left');
  assert.equal(progressLine(50, null, 10_000, false), 'heal: 50 history entries checked, 5/s');
  assert.equal(progressLine(6000, 5000, 10_000, false), 'heal: 6000 of about 5000 history entries checked (100%), 600/s, about 0 s left');
  assert.equal(endLine(611, 7500, false), 'heal: 611 history entries checked in 7.5 s (81/s)');
});

test('HealProgress prints the start line, a line per interval while running, and the end line', async () => {
  const lines: string[] = [];
  const p = new HealProgress(10, false, (l) => lines.push(l), 20);
  p.tick();
  p.tick();
  await new Promise((r) => setTimeout(r, 70));
  p.stop();
  assert.equal(lines[0], 'heal: about 10 history entries to check');
  assert.ok(lines.length >= 3, lines.join('\n'));
  assert.match(lines[1]!, /^heal: 2 of about 10 history entries checked \(20%\)/);
  assert.match(lines.at(-1)!, /^heal: 2 history entries checked in [\d.]+ s/);
});
