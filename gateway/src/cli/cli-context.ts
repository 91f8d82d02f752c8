// A protocol context for an admin command (heal, uploads): the config's
// nodes and keys, talked to directly as a gateway does, with no gateway
// running and no Redis. Its writes (an abort's delete markers) take the
// full three rounds under a writer id of their own.

import type { Logger } from 'pino';
import { createCoder } from '@powerstore/shared/erasure/ronomon-coder.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import type { EvidenceKind } from '@powerstore/shared/protocol/evidence.js';
import { newWriterId } from '@powerstore/shared/protocol/timestamp.js';
import type { GatewayConfig } from '../config.js';
import { RemoteNode } from '../nodes/remote-node.js';
import { DEFAULT_TIMEOUTS, type ProtocolContext } from '../protocol/context.js';
import { AskOrder } from '../protocol/ask-order.js';
import { StripePool } from '../protocol/stripes/stripe-pool.js';

/** Evidence seen during a command, by node and kind. */
export type EvidenceTally = Map<number, Map<EvidenceKind, number>>;

export function cliContext(cfg: GatewayConfig, log: Logger, evidence: EvidenceTally = new Map()): { ctx: ProtocolContext; close(): Promise<void> } {
  const keys = new SecretWriterKeyring(cfg.secrets, cfg.currentEpoch);
  const { params } = cfg;
  const nodes = cfg.nodes.map((url, index) => new RemoteNode({ index, url, keys, S: params.S, requestTimeoutMs: 120_000, ca: cfg.nodeCa }));
  let op = 0;
  const ctx: ProtocolContext = {
    params, keys, nodes,
    coder: createCoder(params.k, params.S - params.k),
    writerId: newWriterId(),
    nextOp: () => ++op,
    blockSize: cfg.blockSize,
    blockHash: cfg.blockHash,
    stripes: new StripePool(params, cfg.blockSize),
    maxPendingBytes: 4 * cfg.blockSize,
    timeouts: DEFAULT_TIMEOUTS,
    askOrder: new AskOrder(),
    observer: {
      round: () => undefined,
      operation: () => undefined,
      evidence: (e) => {
        let k = evidence.get(e.node);
        if (!k) evidence.set(e.node, (k = new Map()));
        k.set(e.kind, (k.get(e.kind) ?? 0) + 1);
        log.warn({ node: e.node, kind: e.kind, detail: e.detail }, 'evidence of node misbehaviour');
      },
      nodeTrouble: (node, what, err) => log.debug({ node, what, err: err instanceof Error ? err.message : String(err) }, 'node call failed'),
    },
  };
  return { ctx, close: async () => void (await Promise.all(nodes.map((n) => n.close()))) };
}
