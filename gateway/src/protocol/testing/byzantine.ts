// Simulated Byzantine behaviours for protocol unit tests: wrappers around a
// node that lie in one specific way each. (The real storage node gets its own
// fault modes for multi-process tests.)

import type { NodeApi } from '@powerstore/shared/node-api.js';
import type { Candidate } from '@powerstore/shared/protocol/candidate.js';
import { WireError } from '@powerstore/shared/protocol/wire/wire.js';

/** `inner` with the calls in `o` replaced (every wrapper here is one of these). */
export function override(inner: NodeApi, o: Partial<NodeApi>): NodeApi {
  return {
    index: inner.index,
    clock: o.clock ?? ((r, s) => inner.clock(r, s)),
    openStore: o.openStore ?? ((r, b, h, s) => inner.openStore(r, b, h, s)),
    storeWhole: o.storeWhole ?? ((r, b, h, f, m, s) => inner.storeWhole(r, b, h, f, m, s)),
    storeFrom: o.storeFrom ?? ((r, b, f, m, s) => inner.storeFrom(r, b, f, m, s)),
    complete: o.complete ?? ((r, c, s) => inner.complete(r, c, s)),
    collect: o.collect ?? ((r, id, s) => inner.collect(r, id, s)),
    filter: o.filter ?? ((r, id, C, s, pin) => inner.filter(r, id, C, s, pin)),
    readBlocks: o.readBlocks ?? ((r, ts, a, b, w, s) => inner.readBlocks(r, ts, a, b, w, s)),
    list: o.list ?? ((q, s) => inner.list(q, s)),
    pin: o.pin ?? ((r, id, a, ts, s) => inner.pin(r, id, a, ts, s)),
    health: o.health ?? ((s) => inner.health(s)),
    entry: o.entry ?? ((r, ts, s) => inner.entry(r, ts, s)),
  };
}

/** Never answers anything (until the caller's timeout aborts). */
export function silent(inner: NodeApi): NodeApi {
  const hang = <T>(signal: AbortSignal): Promise<T> =>
    new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
  return override(inner, {
    clock: (_r, s) => hang(s),
    complete: (_r, _c, s) => hang(s),
    collect: (_r, _id, s) => hang(s),
    filter: (_r, _id, _C, s) => hang(s),
    list: (_q, s) => hang(s),
    storeWhole: (_r, _b, _h, _f, _m, s) => hang(s),
    storeFrom: (_r, _b, _f, _m, s) => hang(s),
    openStore: () => ({
      pending: 0,
      write: () => new Promise(() => undefined),
      commit: () => new Promise(() => undefined),
      abort: () => undefined,
    }),
    readBlocks: (_r, _ts, _a, _b, _w, s) => ({
      [Symbol.asyncIterator]: () => ({ next: () => hang<IteratorResult<Buffer>>(s) }),
    }),
  });
}

/** Acks every complete without applying it: its answer names no lc at or past the write. */
export function hollowComplete(inner: NodeApi): NodeApi {
  return override(inner, { complete: () => Promise.resolve(null) });
}

/** Flips a bit in every block it serves. */
export function corruptBlocks(inner: NodeApi): NodeApi {
  return override(inner, {
    async *readBlocks(r, ts, a, b, w, s) {
      for await (const chunk of inner.readBlocks(r, ts, a, b, w, s)) {
        const c = Buffer.from(chunk);
        if (c.length > 0) c[c.length - 1]! ^= 1;
        yield c;
      }
    },
  });
}

/** Reports a different cross-checksum in filter answers. */
export function wrongCc(inner: NodeApi): NodeApi {
  return override(inner, {
    async filter(r, id, C, s, pin) {
      const a = await inner.filter(r, id, C, s, pin);
      if (!a.cc) return a;
      const cc = a.cc.map((h) => Buffer.from(h));
      cc[0]![0]! ^= 0xff;
      return { ...a, cc };
    },
  });
}

function forgeTs<T extends { tag: Buffer; num: number }>(ts: T): T {
  return { ...ts, num: ts.num + 1000, tag: Buffer.alloc(32, 0x42) };
}

/** Invents timestamps with bad tags (clock) and candidates with bad MACs (collect). */
export function forge(inner: NodeApi): NodeApi {
  return override(inner, {
    async clock(r, s) {
      const ts = await inner.clock(r, s);
      return ts ? forgeTs(ts) : { num: 999, writer: 'ffffffffffffffff', op: 1, epoch: 0, tag: Buffer.alloc(32, 1) };
    },
    async collect(r, id, s) {
      const c = await inner.collect(r, id, s);
      if (!c) return null;
      return { ...c, ts: forgeTs(c.ts) };
    },
  });
}

/** Corrupts every vec entry of the candidates it reports (non-authentic). */
export function corruptVec(inner: NodeApi, entries: 'all' | number[]): NodeApi {
  return override(inner, {
    async collect(r, id, s) {
      const c = await inner.collect(r, id, s);
      if (!c) return null;
      const vec = c.vec.map((e, i) => (entries === 'all' || entries.includes(i) ? Buffer.alloc(32, 7) : e));
      return { ...c, vec };
    },
  });
}

/** Ignores writes after the first `keep` completes and answers its old lc forever. */
export function stale(inner: NodeApi): NodeApi {
  return override(inner, {
    complete: async (r, _c, s) => inner.clock(r, s),
    openStore: (r, b, h, s) => {
      const real = inner.openStore(r, b, h, s);
      return { ...real, get pending() { return real.pending; }, commit: async () => ({ lc: await inner.clock(r, s) }) };
    },
    storeWhole: async (r, _b, _h, _f, _m, s) => ({ lc: await inner.clock(r, s) }),
    storeFrom: async (r, _b, _f, _m, s) => ({ lc: await inner.clock(r, s) }),
    filter: async (r, id, _C, s, pin) => {
      const lc = await inner.collect(r, id, s);
      return inner.filter(r, id, lc ? [lc] : [], s, pin);
    },
  });
}

/** Answers collect with the first candidate it ever saw for the register (an old, valid one). */
export function replay(inner: NodeApi): NodeApi {
  const first = new Map<string, Candidate>();
  return override(inner, {
    async collect(r, id, s) {
      const c = await inner.collect(r, id, s);
      const k = `${r.ns}/${r.key}`;
      if (c && !first.has(k)) first.set(k, c);
      return first.get(k) ?? c;
    },
  });
}

/** Answers a valid candidate of another register. */
export function otherRegister(inner: NodeApi, otherKey: string): NodeApi {
  return override(inner, {
    collect: (r, id, s) => inner.collect({ ns: r.ns, key: otherKey }, id, s),
  });
}

/** Every answer fails to parse. */
export function garbage(inner: NodeApi): NodeApi {
  const bad = async (): Promise<never> => {
    throw new WireError('unparseable answer');
  };
  return override(inner, { clock: bad, complete: bad, collect: bad, filter: bad, list: bad });
}

/** Answers honestly to one gateway's reads and with c0 (empty) to everyone else's. */
export function equivocate(inner: NodeApi, favoured: (readId: string) => boolean): NodeApi {
  return override(inner, {
    collect: async (r, id, s) => (favoured(id) ? inner.collect(r, id, s) : null),
    filter: async (r, id, C, s, pin) => (favoured(id) ? inner.filter(r, id, C, s, pin) : { ts: null }),
  });
}

/** Adds a random delay (0..maxMs) before every answer: honest but slow and reordered. */
export function delayed(inner: NodeApi, maxMs: number, rand: () => number = Math.random): NodeApi {
  const pause = (): Promise<void> => new Promise((r) => setTimeout(r, Math.floor(rand() * maxMs)));
  return override(inner, {
    clock: async (r, s) => (await pause(), inner.clock(r, s)),
    complete: async (r, c, s) => (await pause(), inner.complete(r, c, s)),
    collect: async (r, id, s) => (await pause(), inner.collect(r, id, s)),
    filter: async (r, id, C, s, pin) => (await pause(), inner.filter(r, id, C, s, pin)),
    list: async (q, s) => (await pause(), inner.list(q, s)),
    storeWhole: async (r, b, h, f, m, s) => (await pause(), inner.storeWhole(r, b, h, f, m, s)),
    storeFrom: async (r, b, f, m, s) => (await pause(), inner.storeFrom(r, b, f, m, s)),
    openStore: (r, b, h, s) => {
      const real = inner.openStore(r, b, h, s);
      return {
        write: (c) => real.write(c),
        get pending() { return real.pending; },
        commit: async (m) => (await pause(), real.commit(m)),
        abort: () => real.abort(),
      };
    },
  });
}

/** Listing lies: hides every other key, invents a key, or claims more after a short page. */
export function listLie(inner: NodeApi, how: 'hide' | 'invent' | 'short' | 'stale'): NodeApi {
  return override(inner, {
    async list(req, s) {
      const page = await inner.list(req, s);
      switch (how) {
        case 'hide':
          return { entries: page.entries.filter((_, i) => i % 2 === 1), truncated: page.truncated };
        case 'invent': {
          const first = page.entries[0];
          if (!first) return page;
          const fake = { ...first, key: `${first.key}-invented` };
          return { entries: [...page.entries.slice(0, 1), fake, ...page.entries.slice(1)].slice(0, req.limit), truncated: page.truncated };
        }
        case 'short':
          return { entries: page.entries.slice(0, 1), truncated: true };
        case 'stale':
          return { entries: page.entries.map((e) => ({ key: e.key, lc: e.lc })), truncated: page.truncated };
      }
    },
  });
}

/** Listing lies: every entry copied from the node's honest page, one field of it altered. */
export type ListTamper = 'tag' | 'nonce' | 'd' | 'vec' | 'cc' | 'meta';
export function listTamper(inner: NodeApi, field: ListTamper): NodeApi {
  const flip = (b: Buffer): Buffer => {
    const out = Buffer.from(b);
    out[0] = out[0]! ^ 1;
    return out;
  };
  return override(inner, {
    async list(req, s) {
      const page = await inner.list(req, s);
      const entries = page.entries.map((e) => {
        const lc = e.lc;
        switch (field) {
          case 'tag': return { ...e, lc: { ...lc, ts: { ...lc.ts, tag: flip(lc.ts.tag) } } };
          case 'nonce': return { ...e, lc: { ...lc, nonce: flip(lc.nonce) } };
          case 'd': return { ...e, lc: { ...lc, d: flip(lc.d) } };
          // Every entry: fewer than t+1 of them would still verify.
          case 'vec': return { ...e, lc: { ...lc, vec: lc.vec.map(flip) } };
          case 'cc': return e.cc ? { ...e, cc: [flip(e.cc[0]!), ...e.cc.slice(1)] } : e;
          case 'meta': return e.meta ? { ...e, meta: flip(e.meta) } : e;
        }
      });
      return { ...page, entries };
    },
  });
}
