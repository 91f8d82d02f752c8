// POST /v1/keys: key rotation's delivery of this node's key for a new epoch
// (the sealing is in shared/src/keys.ts; the sender is the gateway CLI's
// `powerstore keys rotate`). The request passes the node's usual request
// authentication first (HMAC under one of its keys, replay window, nonce
// cache: server.ts); on top of that an install must open under the node's
// key of its *current* epoch, so only a holder of that key (a writer) can
// add a key, and an old box sealed under a superseded key is refused.
//
//   {"op":"status"}
//   {"op":"install","node":i,"wrapEpoch":w,"epoch":e,"box":"<hex>"}
//
// Both answer {"node":i,"current":c,"epochs":[...]} (an install once the
// key is durable). Refusals: 400 malformed or wrong node, 401 a box that
// does not open under the current key, 409 wrap epoch not current (the
// message names the current one), a conflicting key or an epoch not above
// the current one, 501 a node started without a key store.

import { KEY_DELIVERY_PATH, openNodeKey } from '@powerstore/shared/keys.js';
import { isObject, WireError } from '@powerstore/shared/protocol/wire/wire.js';
import { NodeRequestError, type NodeContext } from '../node-context.js';

export { KEY_DELIVERY_PATH };

const MAX_EPOCH = 0xffffffff;

function epochField(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0 || x > MAX_EPOCH) throw new WireError(`bad ${what}`);
  return x;
}

export async function handleKeys(ctx: NodeContext, json: unknown): Promise<Buffer> {
  const store = ctx.keyStore;
  if (!store) throw new NodeRequestError(501, 'no-key-store', 'this node cannot take key deliveries');
  if (!isObject(json)) throw new WireError('not an object');
  const status = (): Buffer => Buffer.from(JSON.stringify({ node: ctx.index, current: store.currentEpoch, epochs: store.epochs }));
  if (json.op === 'status') return status();
  if (json.op !== 'install') throw new WireError('op must be "status" or "install"');
  if (json.node !== ctx.index) throw new NodeRequestError(400, 'wrong-node', `this is node ${ctx.index}`);
  const wrapEpoch = epochField(json.wrapEpoch, 'wrapEpoch');
  const epoch = epochField(json.epoch, 'epoch');
  if (typeof json.box !== 'string' || json.box.length > 256) throw new WireError('bad box');
  const current = store.currentEpoch;
  if (wrapEpoch !== current) throw new NodeRequestError(409, 'wrap-epoch', `sealed under epoch ${wrapEpoch}; this node's current epoch is ${current}`);
  const key = openNodeKey(store.key(current)!, { node: ctx.index, wrapEpoch, epoch, box: json.box });
  if (!key) {
    ctx.metrics.authFailures.inc();
    throw new NodeRequestError(401, 'bad-key-box', `the key does not open under this node's epoch ${current} key`);
  }
  const refused = await store.install(epoch, key);
  if (refused === 'conflict') throw new NodeRequestError(409, 'epoch-conflict', `this node holds a different key for epoch ${epoch}`);
  if (refused === 'not-newer') throw new NodeRequestError(409, 'epoch-not-newer', `epoch ${epoch} is not above ${current}`);
  ctx.log.info({ epoch }, 'key installed for a new epoch');
  return status();
}
