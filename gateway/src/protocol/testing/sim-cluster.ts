// A simulated cluster for protocol tests: S in-memory nodes running the real
// node decisions, a ProtocolContext over them, and an observer that records
// rounds and evidence. Nodes can be wrapped (Byzantine behaviour) per test.

import { randomBytes } from 'node:crypto';
import { createCoder } from '@powerstore/shared/erasure/ronomon-coder.js';
import { WRITE_BLOCK_HASH, type BlockHashAlg } from '@powerstore/shared/erasure/block-hash.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import type { Evidence } from '@powerstore/shared/protocol/evidence.js';
import { clusterParams, type ClusterParams } from '@powerstore/shared/protocol/params.js';
import { newWriterId } from '@powerstore/shared/protocol/timestamp.js';
import { SimNode } from '@powerstore/shared/testing/sim-node.js';
import type { TsWire } from '@powerstore/shared/protocol/wire/wire.js';
import type { ClockHintSource, OpKind, ProtocolContext } from '../context.js';
import { AskOrder } from '../ask-order.js';
import { StripePool } from '../stripes/stripe-pool.js';
import type { ClockGuess } from '../clock-guess.js';

export interface SimCluster {
  readonly params: ClusterParams;
  readonly keyring: SecretWriterKeyring;
  readonly sims: SimNode[];
  /** What gateways talk to: the sims, or wrappers installed with `wrap`. */
  readonly nodes: NodeApi[];
  readonly evidence: Evidence[];
  /** Reads that found each node behind the value chosen (observer.nodeLag). */
  readonly lag: Map<number, number>;
  readonly rounds: Map<OpKind, number>;
  readonly operations: Map<OpKind, number>;
  /** A fresh gateway (its own writer id and op counter) over the same nodes. */
  gateway(opts?: { blockSize?: number; blockHash?: BlockHashAlg; rpcMs?: number; hints?: ClockHintSource; askOrder?: AskOrder; guess?: ClockGuess; writerId?: string }): ProtocolContext;
  wrap(i: number, f: (inner: NodeApi) => NodeApi): void;
}

/** `keyring`: the cluster's key epochs (default: one fresh epoch 0); every node holds all of them. */
export function simCluster(t: number, keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0)): SimCluster {
  const params = clusterParams(t);
  const sims = Array.from({ length: params.S }, (_, i) => new SimNode(i, keyring.nodeKeyring(i), params.S));
  const nodes: NodeApi[] = [...sims];
  const evidence: Evidence[] = [];
  const lag = new Map<number, number>();
  const rounds = new Map<OpKind, number>();
  const operations = new Map<OpKind, number>();
  const coder = createCoder(params.k, params.S - params.k);
  return {
    params, keyring, sims, nodes, evidence, lag, rounds, operations,
    gateway(opts = {}) {
      let op = 0;
      return {
        params, keys: keyring, nodes, coder,
        ...(opts.hints ? { hints: opts.hints } : {}),
        ...(opts.guess ? { guess: opts.guess } : {}),
        writerId: opts.writerId ?? newWriterId(),
        nextOp: () => ++op,
        blockSize: opts.blockSize ?? 64,
        blockHash: opts.blockHash ?? WRITE_BLOCK_HASH,
        stripes: new StripePool(params, opts.blockSize ?? 64),
        maxPendingBytes: 1 << 20,
        timeouts: { rpcMs: opts.rpcMs ?? 200, dataIdleMs: opts.rpcMs ?? 200 },
        // Listings ask nodes 0..q-1 first (node S-1 is the spare) unless a test says otherwise:
        // a test of a node's page must know that page is asked for.
        askOrder: opts.askOrder ?? new AskOrder(Date.now, () => 0),
        observer: {
          round: (kind) => rounds.set(kind, (rounds.get(kind) ?? 0) + 1),
          operation: (kind) => operations.set(kind, (operations.get(kind) ?? 0) + 1),
          evidence: (e) => evidence.push(e),
          nodeLag: (n) => lag.set(n, (lag.get(n) ?? 0) + 1),
          nodeTrouble: () => undefined,
        },
      };
    },
    wrap(i, f) {
      nodes[i] = f(nodes[i]!);
    },
  };
}

/** Clock hints in memory, shared by every gateway given the same instance. */
export class MemoryHints implements ClockHintSource {
  readonly map = new Map<string, TsWire>();
  get(regHex: string): Promise<TsWire | null> {
    return Promise.resolve(this.map.get(regHex) ?? null);
  }
  put(regHex: string, ts: TsWire): void {
    const cur = this.map.get(regHex);
    if (!cur || cur.n < ts.n) this.map.set(regHex, ts);
  }
}
