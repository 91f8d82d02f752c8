// Connections per remote address (review F5, probe D3) and the config's
// "limits" (defaults, overrides, refusals).

import { strict as assert } from 'node:assert';
import { createServer, connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { ConfigError } from '@powerstore/shared/errors.js';
import { until } from '@powerstore/shared/testing/until.js';
import { capConnectionsPerAddress } from './connection-cap.js';
import { DEFAULT_LIMITS, parseLimits } from './limits.js';

function open(port: number, localAddress: string): Promise<{ sock: Socket; closed: Promise<void>; isClosed: () => boolean }> {
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host: '127.0.0.1', localAddress });
    sock.on('error', () => undefined);
    let isClosed = false;
    const closed = new Promise<void>((r) => sock.once('close', () => ((isClosed = true), r())));
    sock.once('connect', () => resolve({ sock, closed, isClosed: () => isClosed }));
    sock.once('error', reject);
  });
}

describe('connections per address', () => {
  it('closes connections of one address beyond the cap; other addresses and freed places are served', async () => {
    const server = createServer((s) => s.on('error', () => undefined));
    capConnectionsPerAddress(server, 3);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const flood = await Promise.all(Array.from({ length: 5 }, () => open(port, '127.0.0.1')));
      // A fixed 500 ms for the closes could pass on a loaded machine before the server got to them.
      await until('two of the five closed', () => flood.filter((f) => f.isClosed()).length >= 2, 10_000, 10);
      await new Promise((r) => setTimeout(r, 300)); // room for a wrong third close
      const outcome = flood.map((f) => (f.isClosed() ? 'closed' : 'open'));
      assert.equal(outcome.filter((o) => o === 'closed').length, 2, outcome.join());
      const other = await open(port, '127.0.0.3');
      assert.equal(await Promise.race([other.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 300))]), 'open');
      // A place freed is a place again.
      const stillOpen = flood.filter((_, i) => outcome[i] === 'open');
      stillOpen[0]!.sock.destroy();
      await stillOpen[0]!.closed;
      // The server's side of that close frees the place: wait for it, not a fixed 100 ms.
      const connections = (): Promise<number> => new Promise((r, j) => server.getConnections((e, n) => (e ? j(e) : r(n))));
      await until('the server let the freed connection go', async () => (await connections()) === 3, 10_000, 10);
      const again = await open(port, '127.0.0.1');
      assert.equal(await Promise.race([again.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 300))]), 'open');
      for (const s of [...flood, other, again]) s.sock.destroy();
    } finally {
      server.close();
    }
  });
});

describe('gateway config limits', () => {
  it('defaults, overrides and refusals', () => {
    assert.deepEqual(parseLimits(undefined, 'x'), DEFAULT_LIMITS);
    assert.equal(parseLimits({ bodyIdleMs: 2000, maxConnectionsPerAddress: 0 }, 'x').bodyIdleMs, 2000);
    assert.equal(parseLimits({ maxConnectionsPerAddress: 0 }, 'x').maxConnectionsPerAddress, 0);
    for (const bad of [{ bodyIdleMs: 0 }, { bodyIdleMs: 1.5 }, { bodyIdleMs: '20' }, { nope: 1 }, [], null]) {
      assert.throws(() => parseLimits(bad, 'x'), ConfigError, JSON.stringify(bad));
    }
  });
});
