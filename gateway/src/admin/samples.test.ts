import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentRequests, Samples, SAMPLES_KEPT } from './samples.js';

test('a sample: request and server-error rates, p50 and p99 of the interval, then a fresh interval', () => {
  const recent = new RecentRequests();
  for (let i = 1; i <= 100; i++) recent.record(i, i % 10 === 0 ? 503 : 200);
  const samples = new Samples({ recent, nodesUp: () => 3, bytesStored: () => 1234, minDiskFree: () => null });
  const t0 = Date.now();
  const s = samples.take(t0 + 10_000);
  assert.ok(Math.abs(s.requestsPerS - 10) < 0.5, String(s.requestsPerS));
  assert.ok(Math.abs(s.serverErrorsPerS - 1) < 0.1);
  assert.equal(s.p50Ms, 50);
  assert.equal(s.p99Ms, 99);
  assert.equal(s.nodesUp, 3);
  assert.equal(s.bytesStored, 1234);
  assert.equal(s.minDiskFreeBytes, null);
  const next = samples.take(t0 + 20_000);
  assert.equal(next.requestsPerS, 0);
  assert.equal(next.p99Ms, null);
});

test('an hour of samples is kept, oldest first', () => {
  const samples = new Samples({ recent: new RecentRequests(), nodesUp: () => 4, bytesStored: () => null, minDiskFree: () => null });
  const t0 = Date.now();
  for (let i = 1; i <= SAMPLES_KEPT + 5; i++) samples.take(t0 + i * 10_000);
  assert.equal(samples.all().length, SAMPLES_KEPT);
  assert.equal(samples.all()[0]!.t, t0 + 6 * 10_000);
});
