// handleKeys called directly: every malformed field of an install refused
// (and nothing installed), status, the epoch bounds, and the refusals.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sealNodeKey, SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { createLogger } from '@powerstore/shared/log.js';
import { NodeKeyStore } from '../store/key-store.js';
import { handleKeys } from './keys-handler.js';
import { NodeMetrics } from '../metrics.js';
import { NodeRequestError, type NodeContext } from '../node-context.js';

const NODE = 1;
const ring = new SecretWriterKeyring(new Map([[0, randomBytes(32)], [1, randomBytes(32)], [2, randomBytes(32)]]), 0);
const k = (e: number): Buffer => ring.nodeKey(e, NODE)!;
const dir = mkdtempSync(join(tmpdir(), 'ps-keys-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function ctx(withStore = true): NodeContext {
  const keyStore = NodeKeyStore.open(join(dir, `keys-${++n}`), NODE, new Map([[0, k(0)]]));
  return {
    index: NODE, S: 4, keys: keyStore, ...(withStore ? { keyStore } : {}), store: null as never,
    log: createLogger('t', 'silent'), metrics: new NodeMetrics(NODE), inlineMax: 0, maxFragmentBytes: 0,
  };
}
const install = (o: Record<string, unknown> = {}) => ({ op: 'install', ...sealNodeKey(k(0), NODE, 0, 1, k(1)), ...o });
const status = (b: Buffer) => JSON.parse(b.toString()) as { node: number; current: number; epochs: number[] };

async function refused(p: Promise<unknown>, status: number, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof NodeRequestError && e.status === status && e.code === code);
}

describe('handleKeys', () => {
  it('status, then an install, then status again', async () => {
    const c = ctx();
    assert.deepEqual(status(await handleKeys(c, { op: 'status' })), { node: NODE, current: 0, epochs: [0] });
    assert.deepEqual(status(await handleKeys(c, install())), { node: NODE, current: 1, epochs: [0, 1] });
  });

  it('a node without a key store refuses with 501', async () => {
    await refused(handleKeys(ctx(false), { op: 'status' }), 501, 'no-key-store');
  });

  it('malformed requests are WireErrors and install nothing', async () => {
    const c = ctx();
    const bad: unknown[] = [
      null, [], 'x', { op: 'other' }, {},
      install({ wrapEpoch: -1 }), install({ wrapEpoch: 1.5 }), install({ wrapEpoch: '0' }), install({ wrapEpoch: 0x100000000 }),
      install({ epoch: -1 }), install({ epoch: 0x100000000 }), install({ epoch: Number.MAX_SAFE_INTEGER + 1 }), install({ epoch: null }),
      install({ box: 7 }), install({ box: 'a'.repeat(257) }),
    ];
    for (const b of bad) {
      await assert.rejects(handleKeys(c, b), (e: unknown) => e instanceof Error && e.name === 'WireError', JSON.stringify(b)?.slice(0, 80));
    }
    assert.deepEqual(status(await handleKeys(c, { op: 'status' })).epochs, [0]);
  });

  it('epoch and box at their limits pass the syntax checks', async () => {
    const c = ctx();
    // Syntactically fine, but the box does not open: 401, not a WireError.
    await refused(handleKeys(c, install({ epoch: 0xffffffff })), 401, 'bad-key-box');
    await refused(handleKeys(c, install({ box: 'a'.repeat(256) })), 401, 'bad-key-box');
  });

  it('refusals: another node, a wrap epoch that is not current, an epoch not above the current one', async () => {
    const c = ctx();
    await refused(handleKeys(c, install({ node: 2 })), 400, 'wrong-node');
    await refused(handleKeys(c, install({ wrapEpoch: 1 })), 409, 'wrap-epoch');
    await handleKeys(c, { op: 'install', ...sealNodeKey(k(0), NODE, 0, 2, k(2)) });
    await refused(handleKeys(c, { op: 'install', ...sealNodeKey(k(2), NODE, 2, 1, k(1)) }), 409, 'epoch-not-newer');
  });
});
