// A store request's body for node tests: write `op` of register `key` with
// `frag` as node 0's fragment (OPEN, DATA, COMMIT frames), the store message
// properly made by a writer. Sent again unchanged, it is what a heal sends.

import { BlockHasher } from '@powerstore/shared/erasure/block-hasher.js';
import { listHash, WRITE_BLOCK_HASH, type BlockHashAlg } from '@powerstore/shared/erasure/block-hash.js';
import type { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import type { ClusterParams } from '@powerstore/shared/protocol/params.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { FRAME_COMMIT, FRAME_DATA, FRAME_OPEN, frameHeader } from '@powerstore/shared/protocol/wire/frames.js';
import { encodeCommit, encodeOpen } from '@powerstore/shared/protocol/wire/node-messages.js';

export function storeBody(
  keyring: SecretWriterKeyring, params: ClusterParams, key: string, frag: Buffer, op: number, blockSize: number, meta = '{}', hash: BlockHashAlg = WRITE_BLOCK_HASH,
) {
  const ref = { ns: 'b', key };
  const reg = regId(ref.ns, ref.key);
  const h = new BlockHasher(blockSize, hash);
  h.update(frag);
  const cc = Array.from({ length: params.S }, () => listHash(hash, Buffer.alloc(0)));
  cc[0] = listHash(hash, h.finish());
  const w = prepareWrite(keyring, params, reg, null, 'aaaaaaaaaaaaaaaa', op, cc, Buffer.from(meta));
  const open = encodeOpen(ref, blockSize, { hash });
  const commit = encodeCommit({ ts: w.candidate.ts, nbar: w.nbar, d: w.candidate.d, vec: w.candidate.vec, cc: w.cc, meta: w.meta });
  const body = Buffer.concat([frameHeader(FRAME_OPEN, open.length), open, frameHeader(FRAME_DATA, frag.length), frag, frameHeader(FRAME_COMMIT, commit.length), commit]);
  return { ref, reg, ts: w.candidate.ts, body, frag, w };
}
