// The sending side of key delivery (storage-node/src/handlers/keys-handler.ts): brings
// node i up to every epoch of a writer key ring, one epoch at a time, each
// new key sealed under the node's key of its current epoch (shared/src/keys.ts
// sealNodeKey). Each request also carries the usual node request
// authentication. Idempotent: a node already holding an epoch's key is left
// alone, so a rotation that stopped half-way can simply be run again.

import { createHash } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { KEY_DELIVERY_PATH, sealNodeKey, type WriterKeyring } from '@powerstore/shared/keys.js';
import { AUTH_HEADER, BODY_HASH_HEADER, signRequest } from '@powerstore/shared/node-auth.js';

export interface NodeKeyState {
  readonly node: number;
  readonly current: number;
  readonly epochs: readonly number[];
}

export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(readonly node: number, readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function call(url: string, node: number, key: Buffer, epoch: number, body: unknown, timeoutMs: number, dispatcher?: Dispatcher): Promise<NodeKeyState> {
  const bytes = Buffer.from(JSON.stringify(body));
  const hash = createHash('sha256').update(bytes).digest('hex');
  let res;
  try {
    res = await request(`${url}${KEY_DELIVERY_PATH}`, {
      method: 'POST', body: bytes, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, ...(dispatcher ? { dispatcher } : {}),
      headers: { 'content-type': 'application/json', [AUTH_HEADER]: signRequest(key, epoch, 'POST', KEY_DELIVERY_PATH, hash), [BODY_HASH_HEADER]: hash },
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new DeliveryError(node, 0, 'unreachable', `${url}: ${err.code ?? err.message}`);
  }
  const text = await res.body.text();
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    throw new DeliveryError(node, res.statusCode, 'bad-answer', `${url}: answer is not JSON (status ${res.statusCode})`);
  }
  const o = j as Partial<NodeKeyState> & { error?: string; message?: string };
  if (res.statusCode !== 200) {
    throw new DeliveryError(node, res.statusCode, o.error ?? 'error', `${url}: ${res.statusCode} ${o.error ?? ''}${o.message ? ` (${o.message})` : ''}`);
  }
  if (o.node !== node || typeof o.current !== 'number' || !Array.isArray(o.epochs)) {
    throw new DeliveryError(node, 200, 'bad-answer', `${url}: not node ${node}'s key status`);
  }
  return { node, current: o.current, epochs: o.epochs };
}

/**
 * The node's key epochs, asked under the newest epoch of `ring` that it
 * accepts. `dispatcher`: for https:// nodes, one trusting their CA (nodeCa).
 */
export async function nodeKeyState(
  url: string, node: number, ring: WriterKeyring & { epochs: readonly number[] }, timeoutMs = 10_000, dispatcher?: Dispatcher,
): Promise<NodeKeyState> {
  let last: DeliveryError | null = null;
  for (const e of [...ring.epochs].sort((a, b) => b - a)) {
    try {
      return await call(url, node, ring.nodeKey(e, node)!, e, { op: 'status' }, timeoutMs, dispatcher);
    } catch (err) {
      if (!(err instanceof DeliveryError) || err.status !== 401) throw err;
      last = err; // this node does not know epoch e yet: ask under an older one
    }
  }
  throw last ?? new DeliveryError(node, 0, 'no-keys', 'empty key ring');
}

/**
 * Delivers to node `node` the key of every epoch of `ring` above its
 * current one, up to `upTo`, in ascending order. Resolves with the node's
 * final state; throws DeliveryError (unreachable, refused) otherwise.
 */
export async function deliverNodeKeys(
  url: string, node: number, ring: WriterKeyring & { epochs: readonly number[] }, upTo: number, timeoutMs = 10_000, dispatcher?: Dispatcher,
): Promise<NodeKeyState> {
  let state = await nodeKeyState(url, node, ring, timeoutMs, dispatcher);
  if (state.current > upTo) {
    throw new DeliveryError(node, 0, 'ahead', `${url}: node ${node} holds key epoch ${state.current}, above the key ring's ${upTo} (a rotation begun from another config file or Redis?)`);
  }
  for (const e of ring.epochs) {
    if (e <= state.current || e > upTo) continue;
    const wrapWith = ring.nodeKey(state.current, node);
    if (!wrapWith) throw new DeliveryError(node, 0, 'unknown-epoch', `${url}: node ${node} is at key epoch ${state.current}, which the key ring does not hold`);
    const d = sealNodeKey(wrapWith, node, state.current, e, ring.nodeKey(e, node)!);
    state = await call(url, node, wrapWith, state.current, { op: 'install', ...d }, timeoutMs, dispatcher);
  }
  return state;
}
