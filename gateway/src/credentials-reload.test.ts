// SIGHUP reload of the S3 credentials: from the config file into the live
// store; a file that no longer loads keeps the old set and says why in one
// error line. Also the config's checks of the key limits (key-scope.ts).

import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '@powerstore/shared/errors.js';
import { GATEWAY_CONFIG_FORMAT, parseGatewayConfig } from './config.js';
import { reloadCredentials } from './credentials-reload.js';
import { ReloadableCredentialStore, type Credential } from './s3/auth/credentials.js';

const base = {
  format: GATEWAY_CONFIG_FORMAT, t: 1, region: 'us-east-1', secrets: { 0: 'ab'.repeat(32) }, currentEpoch: 0,
  nodes: ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3', 'http://127.0.0.1:4'],
};
const ADMIN: Credential = { accessKey: 'ADMIN0001', secretKey: 'admin-secret', user: 'admin' };

function captured(): { lines: { level: string; obj: Record<string, unknown>; msg: string }[]; log: { info: (o: object, m: string) => void; error: (o: object, m: string) => void } } {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    log: {
      info: (obj, msg) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
      error: (obj, msg) => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
    },
  };
}

describe('credentials reload', () => {
  it('takes the file\'s new credentials, their limits included, and logs the number of keys', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ps-reload-')), 'gateway.json');
    const store = new ReloadableCredentialStore([ADMIN]);
    const ro = { accessKey: 'RO0001', secretKey: 'ro-secret-1', user: 'bob', access: 'read-only', buckets: ['bk1'] };
    writeFileSync(path, JSON.stringify({ ...base, credentials: [ADMIN, ro] }));
    const { lines, log } = captured();
    assert.equal(reloadCredentials(path, (c) => store.replace(c), log as never), true);
    assert.deepEqual(store.lookup('RO0001'), ro);
    assert.equal(store.hasUser('bob'), true);
    assert.deepEqual(lines.map((l) => [l.level, l.msg, l.obj.keys]), [['info', 'credentials reloaded', 2]]);
  });

  for (const [what, text, reason] of [
    ['not JSON', '{ nope', /gateway config/],
    ['an unknown access', JSON.stringify({ ...base, credentials: [{ ...ADMIN, access: 'delete-only' }] }), /"access" must be one of read-only, append-only, read-write/],
    ['a duplicated key', JSON.stringify({ ...base, credentials: [ADMIN, ADMIN] }), /an access key appears twice/],
  ] as const) {
    it(`keeps the old credentials on ${what}, with one error line`, () => {
      const path = join(mkdtempSync(join(tmpdir(), 'ps-reload-')), 'gateway.json');
      writeFileSync(path, text);
      const store = new ReloadableCredentialStore([ADMIN]);
      const { lines, log } = captured();
      assert.equal(reloadCredentials(path, (c) => store.replace(c), log as never), false);
      assert.deepEqual(store.lookup('ADMIN0001'), ADMIN);
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.level, 'error');
      assert.match(String(lines[0]!.obj.reason), reason);
    });
  }

  it('a replaced store answers for the new set at once: a removed key is gone, a changed scope applies', () => {
    const store = new ReloadableCredentialStore([ADMIN, { accessKey: 'K1', secretKey: 'k1-secret', user: 'bob' }]);
    store.replace([ADMIN, { accessKey: 'K2', secretKey: 'k2-secret', user: 'bob', access: 'append-only' }]);
    assert.equal(store.lookup('K1'), undefined);
    assert.equal(store.lookup('K2')?.access, 'append-only');
  });

  it('gateway.json: bad limits are one ConfigError naming the entry', () => {
    for (const [bad, re] of [
      [{ access: 'write-only' }, /credential 0 \(ADMIN0001\): "access" must be one of/],
      [{ buckets: 'bk1' }, /credential 0 \(ADMIN0001\): "buckets" must be an array/],
      [{ buckets: ['UPPER'] }, /"UPPER", which is not a valid bucket name/],
    ] as const) {
      assert.throws(() => parseGatewayConfig({ ...base, credentials: [{ ...ADMIN, ...bad }] }, 'x'), (e: unknown) => e instanceof ConfigError && re.test(e.message));
    }
    assert.deepEqual(parseGatewayConfig({ ...base, credentials: [{ ...ADMIN, access: 'append-only', buckets: ['bk1'] }] }, 'x').credentials,
      [{ ...ADMIN, access: 'append-only', buckets: ['bk1'] }]);
  });
});
