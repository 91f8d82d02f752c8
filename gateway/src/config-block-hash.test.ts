// The gateway config's blockHash: what the gateway's writes hash fragment
// blocks with (BLAKE3 unless it says SHA-256, for nodes of an older
// version); anything else is one ConfigError naming it.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ConfigError } from '@powerstore/shared/errors.js';
import { GATEWAY_CONFIG_FORMAT, parseGatewayConfig } from './config.js';

describe('gateway config: blockHash', () => {
  const base = {
    format: GATEWAY_CONFIG_FORMAT, t: 1, region: 'us-east-1', secrets: { 0: 'ab'.repeat(32) }, currentEpoch: 0,
    nodes: ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3', 'http://127.0.0.1:4'],
    credentials: [{ accessKey: 'a', secretKey: 's', user: 'u' }],
  };

  it('is BLAKE3 unless set; sha256 and blake3 are taken', () => {
    assert.equal(parseGatewayConfig(base, 'g.json').blockHash, 'blake3');
    assert.equal(parseGatewayConfig({ ...base, blockHash: 'sha256' }, 'g.json').blockHash, 'sha256');
    assert.equal(parseGatewayConfig({ ...base, blockHash: 'blake3' }, 'g.json').blockHash, 'blake3');
  });

  it('anything else is refused in one line', () => {
    for (const bad of ['md5', 'SHA256', 1, null]) {
      assert.throws(() => parseGatewayConfig({ ...base, blockHash: bad }, 'g.json'),
        (e: unknown) => e instanceof ConfigError && /blockHash must be "blake3" or "sha256"/.test(e.message) && !e.message.includes('\n'));
    }
  });
});
