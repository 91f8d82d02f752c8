// Worker-thread side of the digest pool (digest-worker.ts): keeps one set of
// hashes/CRCs per job id and answers the main thread. Runs only inside a
// worker_threads Worker; the message shapes are DigestRequest/DigestReply.

import { parentPort } from 'node:worker_threads';
import { type Checksum, createDigest } from './checksums.js';
import type { DigestAlg, DigestReply, DigestRequest } from './digest-protocol.js';

const port = parentPort;
if (!port) throw new Error('digest-thread must run in a worker thread');

const jobs = new Map<number, { algs: DigestAlg[]; hashes: Checksum[] }>();

function reply(m: DigestReply, transfer?: ArrayBuffer[]): void {
  port?.postMessage(m, transfer);
}

port.on('message', (m: DigestRequest) => {
  try {
    switch (m.t) {
      case 'start':
        jobs.set(m.id, { algs: m.algs, hashes: m.algs.map((a) => createDigest(a)) });
        return;
      case 'update': {
        const job = jobs.get(m.id);
        if (job) for (const h of job.hashes) h.update(m.data);
        // Acknowledge even for a cancelled job: the sender counts bytes in flight.
        reply({ t: 'ack', id: m.id, n: m.data.byteLength, data: m.data }, [m.data.buffer as ArrayBuffer]);
        return;
      }
      case 'digest': {
        const job = jobs.get(m.id);
        jobs.delete(m.id);
        if (!job) {
          reply({ t: 'error', id: m.id, message: 'unknown digest job' });
          return;
        }
        const digests: Partial<Record<DigestAlg, Uint8Array>> = {};
        job.algs.forEach((a, i) => (digests[a] = job.hashes[i]?.digest()));
        reply({ t: 'done', id: m.id, digests });
        return;
      }
      case 'cancel':
        jobs.delete(m.id);
        return;
    }
  } catch (e) {
    jobs.delete(m.id);
    reply({ t: 'error', id: m.id, message: e instanceof Error ? e.message : String(e) });
  }
});
