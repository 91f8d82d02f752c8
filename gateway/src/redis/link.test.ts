// Redis URLs (plain, TLS, Sentinel, Cluster) and the sealing of key-ring
// entries: a wrong KEK, a moved entry or a flipped bit never opens.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError } from '@powerstore/shared/errors.js';
import { parseRedisUrl, redact } from './link.js';
import { open, parseKek, ringKey, seal, SealError } from './sealed.js';

describe('Redis URLs', () => {
  it('parses plain, TLS, Sentinel and Cluster URLs', () => {
    assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6380'), { kind: 'plain', tls: false, hosts: [{ host: '127.0.0.1', port: 6380 }] });
    assert.deepEqual(parseRedisUrl('rediss://u:p%40ss@cache.example:6390/3'), {
      kind: 'plain', tls: true, hosts: [{ host: 'cache.example', port: 6390 }], username: 'u', password: 'p@ss', db: 3,
    });
    assert.deepEqual(parseRedisUrl('redis://:secret@h'), { kind: 'plain', tls: false, hosts: [{ host: 'h', port: 6379 }], password: 'secret' });
    assert.deepEqual(parseRedisUrl('redis-sentinel://s1:26379,s2/mymaster/2'), {
      kind: 'sentinel', tls: false, hosts: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }], master: 'mymaster', db: 2,
    });
    assert.deepEqual(parseRedisUrl('redis-cluster://a:7000,b:7001,[::1]:7002'), {
      kind: 'cluster', tls: false, hosts: [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }, { host: '::1', port: 7002 }],
    });
  });

  it('refuses malformed URLs with one line', () => {
    for (const bad of ['http://h:1', 'redis://a:1,b:2', 'redis-sentinel://s1:26379', 'redis-cluster://a:1/0', 'redis://h:99999', 'redis://h/x', 'h:6379']) {
      assert.throws(() => parseRedisUrl(bad), (e: unknown) => e instanceof ConfigError && !e.message.includes('\n'), bad);
    }
  });

  it('never shows a password', () => {
    assert.equal(redact('redis://user:hunter2@h:1'), 'redis://user:***@h:1');
    assert.ok(!(() => {
      try {
        parseRedisUrl('redis://u:hunter2@a:1,b:2');
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    })().includes('hunter2'));
  });
});

describe('sealed key-ring entries', () => {
  const kek = randomBytes(32);
  const secret = randomBytes(32);

  it('round-trips, and hides the plaintext', () => {
    const text = seal(ringKey(kek), 'epoch:0', secret);
    assert.match(text, /^v1\./);
    assert.ok(!text.includes(secret.toString('hex')) && !text.includes(secret.toString('base64')));
    assert.ok(!Buffer.from(text.slice(3), 'base64').includes(secret));
    assert.deepEqual(open(ringKey(kek), 'epoch:0', text), secret);
    assert.notEqual(seal(ringKey(kek), 'epoch:0', secret), text, 'a fresh IV each time');
  });

  it('does not open under another KEK, in another field, or altered', () => {
    const text = seal(ringKey(kek), 'epoch:0', secret);
    assert.throws(() => open(ringKey(randomBytes(32)), 'epoch:0', text), SealError);
    assert.throws(() => open(ringKey(kek), 'epoch:1', text), SealError);
    const raw = Buffer.from(text.slice(3), 'base64');
    raw[14]! ^= 1;
    assert.throws(() => open(ringKey(kek), 'epoch:0', `v1.${raw.toString('base64')}`), SealError);
    assert.throws(() => open(ringKey(kek), 'epoch:0', 'v2.abc'), SealError);
  });

  it('parses a KEK of exactly 64 hex digits', () => {
    assert.deepEqual(parseKek(kek.toString('hex').toUpperCase()), kek);
    assert.equal(parseKek('abc'), null);
    assert.equal(parseKek(undefined), null);
  });
});
