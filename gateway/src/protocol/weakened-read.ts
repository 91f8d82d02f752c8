// DELIBERATELY BROKEN READ: the control of the nemesis suite (the suite must
// be shown able to fail). It believes the first node that answers collect,
// and that node alone for the description: no quorum intersection, no
// write-back to other nodes, no safe predicate. Against one stale node it
// returns old values after newer writes completed, which the linearizability
// checker must catch. Only a gateway started with --unsafe-weakened-read
// uses it; never enable it anywhere else.

import { randomHex } from '@powerstore/shared/random.js';
import type { RegRef } from '@powerstore/shared/node-api.js';
import { ReadState } from '@powerstore/shared/protocol/client.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import type { OpKind, ProtocolContext } from './context.js';
import { quorumCall } from './quorum.js';
import type { ReadResult } from './reader.js';

export async function weakenedRead(ctx: ProtocolContext, ref: RegRef, op: OpKind, signal: AbortSignal): Promise<ReadResult | null | 'fallback'> {
  const reg = regId(ref.ns, ref.key);
  const state = new ReadState(ctx.params, ctx.keys, reg);
  const readId = randomHex(12);
  ctx.observer.round(op, 'collect');
  const first = await quorumCall(ctx.nodes, (n, sig) => n.collect(ref, readId, sig), { need: 1, timeoutMs: ctx.timeouts.rpcMs, what: 'collect', signal });
  const [node, lc] = [...first][0]!;
  state.addCollected(node, lc);
  const c = state.candidates()[0];
  if (!c) return null;
  ctx.observer.round(op, 'filter');
  state.newRound();
  state.addFilterAnswer(node, await ctx.nodes[node]!.filter(ref, readId, [c], signal));
  const desc = state.descriptionOf(c);
  // Every node may have had the collect (the first answer ends the round, not the calls).
  const contacted = new Set(ctx.nodes.map((n) => n.index));
  return desc ? { ref, readId, c, cc: desc.cc, meta: desc.meta, state, rounds: { current: 1 }, contacted } : 'fallback';
}
