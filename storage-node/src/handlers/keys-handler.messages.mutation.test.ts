// handleKeys: what each refusal says (the operator reads these in the CLI's
// output), the auth-failure metric of a box that does not open, the log line
// of an install, and a conflicting key for an epoch already held. Aimed at
// keys-handler.ts's surviving mutants (messages, metric, log call).

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { sealNodeKey, SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { NodeKeyStore } from '../store/key-store.js';
import { handleKeys } from './keys-handler.js';
import { NodeMetrics } from '../metrics.js';
import type { NodeContext } from '../node-context.js';

const NODE = 1;
const ring = new SecretWriterKeyring(new Map([[0, randomBytes(32)], [1, randomBytes(32)], [2, randomBytes(32)]]), 0);
const k = (e: number): Buffer => ring.nodeKey(e, NODE)!;
const dir = mkdtempSync(join(tmpdir(), 'ps-keys-msg-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A context whose log lines are collected in `lines`. */
function ctx(): { c: NodeContext; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const keyStore = NodeKeyStore.open(join(dir, `keys-${++n}`), NODE, new Map([[0, k(0)]]));
  const c: NodeContext = {
    index: NODE, S: 4, keys: keyStore, keyStore, store: null as never,
    log: pino({ level: 'info' }, sink), metrics: new NodeMetrics(NODE), inlineMax: 0, maxFragmentBytes: 0,
  };
  return { c, lines };
}
const install = (o: Record<string, unknown> = {}) => ({ op: 'install', ...sealNodeKey(k(0), NODE, 0, 1, k(1)), ...o });

async function says(p: Promise<unknown>, status: number | undefined, message: string, code?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof Error);
    if (status !== undefined) assert.equal((e as { status?: number }).status, status);
    if (code !== undefined) assert.equal((e as { code?: string }).code, code);
    assert.equal(e.message, message);
    return true;
  });
}

describe('handleKeys: messages, metric, log', () => {
  it('every refusal says what was wrong', async () => {
    const { c } = ctx();
    await says(handleKeys({ ...c, keyStore: undefined } as NodeContext, { op: 'status' }), 501, 'this node cannot take key deliveries');
    await says(handleKeys(c, null), undefined, 'not an object');
    await says(handleKeys(c, { op: 'other' }), undefined, 'op must be "status" or "install"');
    await says(handleKeys(c, install({ node: 2 })), 400, 'this is node 1');
    await says(handleKeys(c, install({ wrapEpoch: -1 })), undefined, 'bad wrapEpoch');
    await says(handleKeys(c, install({ epoch: -1 })), undefined, 'bad epoch');
    await says(handleKeys(c, install({ box: 7 })), undefined, 'bad box');
    await says(handleKeys(c, install({ wrapEpoch: 3 })), 409, "sealed under epoch 3; this node's current epoch is 0");
    await says(handleKeys(c, install({ box: 'a'.repeat(120) })), 401, "the key does not open under this node's epoch 0 key");
  });

  it('a box that does not open counts one auth failure; a good install none', async () => {
    const { c } = ctx();
    const failures = async () => (await c.metrics.authFailures.get()).values[0]?.value ?? 0;
    await handleKeys(c, install());
    assert.equal(await failures(), 0);
    await assert.rejects(handleKeys(c, { op: 'install', ...sealNodeKey(k(1), NODE, 1, 2, k(2)), box: 'ab'.repeat(60) }));
    assert.equal(await failures(), 1);
  });

  it('an install is logged with its epoch; a conflicting key and an old epoch are refused with their messages', async () => {
    const { c, lines } = ctx();
    await handleKeys(c, { op: 'install', ...sealNodeKey(k(0), NODE, 0, 2, k(2)) });
    const line = lines.find((l) => l.msg === 'key installed for a new epoch');
    assert.ok(line, JSON.stringify(lines));
    assert.equal(line.epoch, 2);
    assert.equal(line.level, 30);
    await says(handleKeys(c, { op: 'install', ...sealNodeKey(k(2), NODE, 2, 1, k(1)) }), 409, 'epoch 1 is not above 2', 'epoch-not-newer');
    await says(handleKeys(c, { op: 'install', ...sealNodeKey(k(2), NODE, 2, 2, randomBytes(32)) }), 409, 'this node holds a different key for epoch 2', 'epoch-conflict');
  });
});
