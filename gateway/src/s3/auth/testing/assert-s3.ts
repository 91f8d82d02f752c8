// Test support: assertions on thrown S3Error codes.

import { strict as assert } from 'node:assert';
import { S3Error, type S3ErrorCode } from '../../errors.js';

function check(e: unknown, code: S3ErrorCode, message?: RegExp): true {
  assert.ok(e instanceof S3Error, `expected S3Error ${code}, got ${String(e)}`);
  assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
  if (message) assert.match(e.message, message);
  return true;
}

export function throwsS3(fn: () => unknown, code: S3ErrorCode, message?: RegExp): void {
  assert.throws(fn, (e) => check(e, code, message));
}

export async function rejectsS3(p: Promise<unknown> | (() => Promise<unknown>), code: S3ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e) => check(e, code, message));
}
