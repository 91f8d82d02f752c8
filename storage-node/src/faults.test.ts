// Fault modes, one by one: each answer rewrite does exactly its lie (checked
// with the gateway's own checks where there is one: tag, authenticity, D),
// leaves other routes and stored state alone, and the server hooks make
// `silent` never answer and `slow` answer late.

import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '@powerstore/shared/errors.js';
import { SecretWriterKeyring } from '@powerstore/shared/keys.js';
import { createLogger } from '@powerstore/shared/log.js';
import { AUTH_HEADER, BODY_HASH_HEADER, signRequest } from '@powerstore/shared/node-auth.js';
import { BATCH_PATH, decodeAnswers, encodeAnswers, encodeBatch } from '@powerstore/shared/protocol/wire/batch.js';
import { computeD, normalise, type Candidate } from '@powerstore/shared/protocol/candidate.js';
import { prepareWrite } from '@powerstore/shared/protocol/client.js';
import {
  encodeCandAnswer, encodeFilterAnswer, encodeTsAnswer, parseCandAnswer, parseFilterAnswer, parseTsAnswer, PATHS,
} from '@powerstore/shared/protocol/wire/node-messages.js';
import { encodeListAnswer, parseListAnswer } from '@powerstore/shared/protocol/wire/list-answer.js';
import { clusterParams } from '@powerstore/shared/protocol/params.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { verifyTag } from '@powerstore/shared/protocol/timestamp.js';
import { candToWire, WireError } from '@powerstore/shared/protocol/wire/wire.js';
import {
  encodeCandAnswerBinary, encodeFilterAnswerBinary, encodeTsAnswerBinary, parseCandAnswerBinary, parseFilterAnswerBinary, parseTsAnswerBinary,
} from '@powerstore/shared/protocol/wire/binary-answers.js';
import { DiskStore } from './store/disk-store.js';
import { Faults, type FaultMode } from './faults.js';
import { NodeMetrics } from './metrics.js';
import { createNodeServer } from './server.js';

const params = clusterParams(1);
const keyring = new SecretWriterKeyring(new Map([[0, randomBytes(32)]]), 0);
const NS = 'bucket';
let op = 0;

/** A real, fully signed write of (NS, key) after `prev`, with its cc and meta. */
function write(key: string, prev: Candidate | null = null): { c: Candidate; cc: Buffer[]; meta: Buffer } {
  const cc = Array.from({ length: params.S }, () => randomBytes(32));
  const meta = Buffer.from(JSON.stringify({ key, op }));
  const w = prepareWrite(keyring, params, regId(NS, key), prev?.ts ?? null, 'aaaaaaaaaaaaaaaa', ++op, cc, meta);
  return { c: w.candidate, cc, meta };
}

function faults(...modes: FaultMode[]): Faults {
  return Faults.parse(modes, true, 3, params.S, params.t);
}

const sock = (): object => ({});
const json = (b: Buffer): unknown => JSON.parse(b.toString('utf8'));
const authentic = (key: string, c: Candidate | null): boolean => c !== null && normalise(keyring, params, regId(NS, key), c) !== null;

describe('Faults.parse', () => {
  it('refuses modes without --allow-faults, and unknown modes', () => {
    assert.throws(() => Faults.parse(['slow'], false, 0, 4, 1), ConfigError);
    assert.throws(() => Faults.parse(['slow', 'nonsense'], true, 0, 4, 1), /unknown fault mode "nonsense"/);
    assert.equal(Faults.parse([], false, 0, 4, 1).any, false);
  });
  it('takes repeated and comma-separated modes, and the slow delay', () => {
    const f = Faults.parse(['slow,forge', 'stale'], true, 0, 4, 1, 75);
    assert.deepEqual([...f.modes].sort(), ['forge', 'slow', 'stale']);
    assert.equal(f.delayMs, 75);
  });
});

describe('answer rewrites', () => {
  const one = write('k');
  const s = sock();

  it('leave every answer byte-identical when no rewriting mode is on', () => {
    for (const f of [faults(), faults('slow', 'stale', 'amnesia')]) {
      const body = encodeCandAnswer(one.c);
      assert.equal(f.answer({ route: PATHS.collect, json: { ns: NS, key: 'k' }, socket: s }, body), body);
      const chunk = randomBytes(100);
      assert.equal(f.blocks(chunk), chunk);
    }
  });

  it('corrupt: flips one bit of served blocks and of inline fragments, never the original buffer', () => {
    const f = faults('corrupt');
    const chunk = randomBytes(100);
    const copy = Buffer.from(chunk);
    const out = f.blocks(chunk);
    assert.ok(chunk.equals(copy), 'the stored bytes are untouched');
    assert.equal(out.length, 100);
    assert.ok(!out.equals(chunk));
    assert.ok(out.subarray(0, 99).equals(chunk.subarray(0, 99)));
    const frag = randomBytes(500);
    const body = encodeFilterAnswer({ ts: one.c.ts, cc: one.cc, meta: one.meta, blocks: randomBytes(32), fragment: frag });
    const a = parseFilterAnswer(json(f.answer({ route: PATHS.filter, json: {}, socket: s }, body)), params.S);
    assert.ok(a.fragment && !a.fragment.equals(frag) && a.fragment.length === frag.length);
  });

  it('corrupt-vec: t vec entries wrong, yet still authentic (the gateway must re-sign)', () => {
    const f = faults('corrupt-vec');
    const lc = parseCandAnswer(json(f.answer({ route: PATHS.collect, json: { ns: NS, key: 'k' }, socket: s }, encodeCandAnswer(one.c))), params.S)!;
    const wrong = lc.vec.filter((e, i) => !e.equals(one.c.vec[i]!)).length;
    assert.equal(wrong, params.t);
    assert.ok(authentic('k', lc));
  });

  it('wrong-cc: filter descriptions and listing entries no longer hash to D', () => {
    const f = faults('wrong-cc');
    assert.ok(computeD(one.cc, one.meta).equals(one.c.d), 'the honest description hashes to D');
    const body = encodeFilterAnswer({ ts: one.c.ts, cc: one.cc, meta: one.meta, blocks: randomBytes(32) });
    const a = parseFilterAnswer(json(f.answer({ route: PATHS.filter, json: {}, socket: s }, body)), params.S);
    assert.ok(!a.cc![0]!.equals(one.cc[0]!));
    assert.ok(a.cc!.slice(1).every((h, i) => h.equals(one.cc[i + 1]!)), 'only cc[0] changes');
    assert.ok(!computeD(a.cc!, a.meta!).equals(one.c.d));
    const page = encodeListAnswer({ entries: [{ key: 'k', lc: one.c, cc: one.cc, meta: one.meta }, { key: 'l', lc: one.c }], truncated: false });
    const p = parseListAnswer(f.answer({ route: PATHS.list, json: { ns: NS, limit: 10 }, socket: s }, page), params.S);
    assert.ok(!computeD(p.entries[0]!.cc!, p.entries[0]!.meta!).equals(one.c.d));
    assert.equal(p.entries[1]!.cc, undefined, 'an entry without a description stays without');
    // A filter answer with no description is left as it is.
    const bare = encodeFilterAnswer({ ts: one.c.ts });
    assert.deepEqual(json(f.answer({ route: PATHS.filter, json: {}, socket: s }, bare)), json(bare));
  });

  it('forge: clock timestamps and collect candidates fail the tag check', () => {
    const f = faults('forge');
    const ts = parseTsAnswer(json(f.answer({ route: PATHS.clock, json: { ns: NS, key: 'k' }, socket: s }, encodeTsAnswer(one.c.ts))))!;
    assert.equal(ts.num, one.c.ts.num + 1000);
    assert.ok(!verifyTag(keyring, regId(NS, 'k'), ts));
    const made = parseTsAnswer(json(f.answer({ route: PATHS.clock, json: { ns: NS, key: 'k' }, socket: s }, encodeTsAnswer(null))))!;
    assert.ok(made && !verifyTag(keyring, regId(NS, 'k'), made), 'a register with no ts gets a made-up one');
    const lc = parseCandAnswer(json(f.answer({ route: PATHS.collect, json: { ns: NS, key: 'k' }, socket: s }, encodeCandAnswer(one.c))), params.S)!;
    assert.ok(lc.ts.num > one.c.ts.num);
    assert.ok(!authentic('k', lc));
    assert.ok(!authentic('k', { ...lc, ts: { ...lc.ts, tag: one.c.ts.tag } }), 'the vec fails too');
    // Store and complete acks are left alone.
    const ack = encodeTsAnswer(one.c.ts);
    assert.deepEqual(json(f.answer({ route: PATHS.complete, json: {}, socket: s }, ack)), json(ack));
  });

  it('replay: collect and listing answer the oldest candidate this node found valid', () => {
    const f = faults('replay');
    const c1 = write('r');
    const c2 = write('r', c1.c);
    const c3 = write('r', c2.c);
    const ask = { ns: NS, key: 'r' };
    // A complete this node did not accept (it answers another lc) is not remembered.
    f.answer({ route: PATHS.complete, json: { ...ask, cand: candToWire(c1.c) }, socket: s }, encodeTsAnswer(null));
    const fresh = f.answer({ route: PATHS.collect, json: ask, socket: s }, encodeCandAnswer(c2.c));
    assert.equal(parseCandAnswer(json(fresh), params.S)!.ts.num, c2.c.ts.num, 'nothing older known: honest');
    // An accepted write-back of c1 (lc became c1) is remembered as older.
    f.answer({ route: PATHS.complete, json: { ...ask, cand: candToWire(c1.c) }, socket: s }, encodeTsAnswer(c1.c.ts));
    const old = parseCandAnswer(json(f.answer({ route: PATHS.collect, json: ask, socket: s }, encodeCandAnswer(c3.c))), params.S)!;
    assert.equal(old.ts.num, c1.c.ts.num);
    assert.ok(authentic('r', old), 'the replayed candidate is a real, valid one');
    const page = encodeListAnswer({ entries: [{ key: 'r', lc: c3.c, cc: c3.cc, meta: c3.meta }, { key: 'other', lc: one.c, cc: one.cc, meta: one.meta }], truncated: false });
    const p = parseListAnswer(f.answer({ route: PATHS.list, json: { ns: NS, limit: 10 }, socket: s }, page), params.S);
    assert.equal(p.entries[0]!.lc.ts.num, c1.c.ts.num);
    assert.equal(p.entries[0]!.cc, undefined, 'a replayed entry comes without the newer description');
    assert.equal(p.entries[1]!.cc?.length, params.S, 'a register seen for the first time is reported as it is');
  });

  it('replay: a filter chv is remembered as valid', () => {
    const f = faults('replay');
    const c1 = write('q');
    const c2 = write('q', c1.c);
    const ask = { ns: NS, key: 'q' };
    f.answer({ route: PATHS.filter, json: { ...ask, readId: 'x', C: [candToWire(c1.c)] }, socket: s }, encodeFilterAnswer({ ts: c1.c.ts }));
    const lc = parseCandAnswer(json(f.answer({ route: PATHS.collect, json: ask, socket: s }, encodeCandAnswer(c2.c))), params.S)!;
    assert.equal(lc.ts.num, c1.c.ts.num);
  });

  it('equivocate: honest on odd connections, knows nothing on even ones', () => {
    const f = faults('equivocate');
    const [c1, c2, c3] = [sock(), sock(), sock()];
    const collect = (socket: object): Candidate | null =>
      parseCandAnswer(json(f.answer({ route: PATHS.collect, json: { ns: NS, key: 'k' }, socket }, encodeCandAnswer(one.c))), params.S);
    assert.ok(collect(c1));
    assert.equal(collect(c2), null);
    assert.ok(collect(c3));
    assert.equal(collect(c2), null, 'a connection keeps its view');
    assert.ok(collect(c1));
    const page = encodeListAnswer({ entries: [{ key: 'k', lc: one.c }], truncated: true });
    assert.deepEqual(parseListAnswer(f.answer({ route: PATHS.list, json: { ns: NS, limit: 1 }, socket: c2 }, page), params.S), { entries: [], truncated: false });
    assert.deepEqual(json(f.answer({ route: PATHS.filter, json: {}, socket: c2 }, encodeFilterAnswer({ ts: one.c.ts }))), { ts: null });
    for (const route of [PATHS.clock, PATHS.complete, PATHS.store]) {
      assert.deepEqual(json(f.answer({ route, json: {}, socket: c2 }, encodeTsAnswer(one.c.ts))), { lc: null });
    }
    const health = Buffer.from('{"node":3,"ok":true}');
    assert.equal(f.answer({ route: PATHS.health, json: {}, socket: c2 }, health), health, 'health is answered honestly');
    assert.equal(f.answer({ route: '/v1/keys', json: {}, socket: c2 }, health), health, 'so are routes outside the register protocol');
  });

  // A gateway asks for these answers in binary (binary-answers.ts): each
  // rewrite must do to that form what it does to the JSON one.
  it('binary answers are rewritten as their JSON forms are', () => {
    const bin = { socket: s, form: 'binary' as const };
    const js = { socket: s };
    const filterBody = (form: 'json' | 'binary'): Buffer => {
      const a = { ts: one.c.ts, cc: one.cc, meta: one.meta, blocks: Buffer.alloc(64, 9), fragment: Buffer.alloc(300, 4) };
      return form === 'binary' ? encodeFilterAnswerBinary(a) : encodeFilterAnswer(a);
    };
    for (const mode of ['corrupt', 'wrong-cc', 'withhold'] as const) {
      const f = faults(mode);
      const viaJson = parseFilterAnswer(json(f.answer({ route: PATHS.filter, json: {}, ...js }, filterBody('json'))), params.S);
      const viaBinary = parseFilterAnswerBinary(f.answer({ route: PATHS.filter, json: {}, ...bin }, filterBody('binary')), params.S);
      assert.deepEqual(viaBinary, viaJson, mode);
      assert.notDeepEqual(viaBinary, parseFilterAnswerBinary(filterBody('binary'), params.S), `${mode} changed the answer`);
    }
    const cv = faults('corrupt-vec');
    const ask = { route: PATHS.collect, json: { ns: NS, key: 'k' } };
    assert.deepEqual(
      parseCandAnswerBinary(cv.answer({ ...ask, ...bin }, encodeCandAnswerBinary(one.c)), params.S),
      parseCandAnswer(json(cv.answer({ ...ask, ...js }, encodeCandAnswer(one.c))), params.S),
    );
    const forge = faults('forge');
    const ts = parseTsAnswerBinary(forge.answer({ route: PATHS.clock, json: { ns: NS, key: 'k' }, ...bin }, encodeTsAnswerBinary(one.c.ts)))!;
    assert.equal(ts.num, one.c.ts.num + 1000);
    assert.ok(!verifyTag(keyring, regId(NS, 'k'), ts));
    const lc = parseCandAnswerBinary(forge.answer({ ...ask, ...bin }, encodeCandAnswerBinary(one.c)), params.S)!;
    assert.ok(lc.ts.num > one.c.ts.num && !authentic('k', lc));
    const eq = faults('equivocate');
    eq.answer({ ...ask, socket: sock() }, encodeCandAnswer(one.c)); // the first connection is odd: honest
    for (const route of [PATHS.clock, PATHS.complete, PATHS.store]) {
      assert.equal(parseTsAnswerBinary(eq.answer({ route, json: {}, ...bin }, encodeTsAnswerBinary(one.c.ts))), null, route);
    }
    assert.equal(parseCandAnswerBinary(eq.answer({ ...ask, ...bin }, encodeCandAnswerBinary(one.c)), params.S), null);
    assert.deepEqual(parseFilterAnswerBinary(eq.answer({ route: PATHS.filter, json: {}, ...bin }, filterBody('binary')), params.S), { ts: null });
    const garbage = faults('garbage');
    assert.throws(() => parseTsAnswerBinary(garbage.answer({ route: PATHS.clock, json: {}, ...bin }, encodeTsAnswerBinary(one.c.ts))), WireError);
    assert.throws(() => parseFilterAnswerBinary(garbage.answer({ route: PATHS.filter, json: {}, ...bin }, filterBody('binary')), params.S), WireError);
  });

  it('garbage: answers do not parse (not JSON, nor a list answer) and batch answers do not decode', () => {
    const f = faults('garbage');
    for (const route of [PATHS.clock, PATHS.collect, PATHS.filter, PATHS.list, PATHS.store]) {
      const out = f.answer({ route, json: {}, socket: s }, encodeTsAnswer(one.c.ts));
      assert.throws(() => JSON.parse(out.toString('utf8')), SyntaxError);
    }
    const page = encodeListAnswer({ entries: [{ key: 'k', lc: one.c }], truncated: false });
    assert.throws(() => parseListAnswer(f.answer({ route: PATHS.list, json: {}, socket: s }, page), params.S), WireError, 'nor a list answer');
    const health = Buffer.from('{"node":3,"ok":true}');
    assert.equal(f.answer({ route: PATHS.health, json: {}, socket: s }, health), health, 'health alone is answered honestly');
    const batch = encodeAnswers([{ status: 200, payload: Buffer.from('{}') }]);
    assert.equal(decodeAnswers(batch, 1).length, 1);
    assert.throws(() => decodeAnswers(f.batch(batch), 1), WireError);
    assert.equal(faults('forge').batch(batch), batch, 'other modes leave batches alone');
  });

  it('list-lie: rotates invent, hide, stale; the invented key is not authentic for its register', () => {
    const f = faults('list-lie');
    const keys = ['a', 'b', 'c', 'd'];
    const ws = keys.map((k) => write(k));
    const page = encodeListAnswer({ entries: ws.map((w, i) => ({ key: keys[i]!, lc: w.c, cc: w.cc, meta: w.meta })), truncated: true });
    const lie = (limit: number) => parseListAnswer(f.answer({ route: PATHS.list, json: { ns: NS, limit }, socket: s }, page), params.S);

    const invented = lie(4);
    assert.deepEqual(invented.entries.map((e) => e.key), ['a', 'a\u0000', 'b', 'c'], 'in order, within the limit');
    assert.equal(invented.truncated, true);
    assert.ok(authentic('a', invented.entries[1]!.lc), 'the copied candidate is authentic for its own key…');
    assert.ok(!authentic('a\u0000', invented.entries[1]!.lc), '…but not for the invented one');

    const hidden = lie(4);
    assert.deepEqual(hidden.entries.map((e) => e.key), ['a', 'c']);
    assert.equal(hidden.truncated, true);

    const stale = lie(4);
    assert.deepEqual(stale.entries.map((e) => e.key), keys);
    assert.ok(stale.entries.every((e) => e.cc === undefined && e.meta === undefined && authentic(e.key, e.lc)));

    assert.equal(lie(4).entries[1]!.key, 'a\u0000', 'and round again');
    const empty = encodeListAnswer({ entries: [], truncated: false });
    assert.deepEqual(f.answer({ route: PATHS.list, json: { ns: NS, limit: 4 }, socket: s }, empty), empty);
  });
});

describe('new modes: drip, withhold, false-missing, trickle', () => {
  const one = write('n');
  const s = sock();

  it('drip: serves the same bytes, one per chunk, each after the delay; other modes pass chunks through', async () => {
    const data = [randomBytes(3), randomBytes(2)];
    const t0 = Date.now();
    const out: Buffer[] = [];
    for await (const c of Faults.parse(['drip'], true, 0, params.S, params.t, 30).serveBlocks(data)) out.push(c);
    assert.ok(Date.now() - t0 >= 5 * 30 - 10, 'each byte waited for the delay');
    assert.deepEqual(out.map((c) => c.length), [1, 1, 1, 1, 1]);
    assert.ok(Buffer.concat(out).equals(Buffer.concat(data)));
    assert.equal(faults('slow', 'withhold').serveBlocks(data), data);
  });

  it('withhold: filter answers lose their inline fragment (the rest stays true); other answers untouched', () => {
    const f = faults('withhold');
    const frag = randomBytes(500);
    const body = encodeFilterAnswer({ ts: one.c.ts, cc: one.cc, meta: one.meta, blocks: randomBytes(32), fragment: frag });
    const a = parseFilterAnswer(json(f.answer({ route: PATHS.filter, json: {}, socket: s }, body)), params.S);
    assert.equal(a.fragment, undefined);
    assert.ok(computeD(a.cc!, a.meta!).equals(one.c.d), 'the description is the true one');
    const honest = parseFilterAnswer(json(body), params.S);
    assert.deepEqual(a.ts, honest.ts);
    const collect = encodeCandAnswer(one.c);
    assert.deepEqual(json(f.answer({ route: PATHS.collect, json: { ns: NS, key: 'n' }, socket: s }, collect)), json(collect));
  });

  it('false-missing: every part of a completion is claimed missing, and only those parts\' stores are not taken', () => {
    const parts = [{ ns: 'parts', key: '1' }, { ns: 'parts', key: '2' }];
    const f = faults('false-missing');
    assert.equal(f.takesStore({ ns: 'parts', key: '1' }), true, 'nothing claimed yet');
    assert.deepEqual(f.missingParts([], []), [], 'a plain store is not a completion');
    assert.deepEqual(f.missingParts(parts, []), [0, 1]);
    assert.equal(f.takesStore({ ns: 'parts', key: '1' }), false);
    assert.equal(f.takesStore({ ns: 'parts', key: '2' }), false);
    assert.equal(f.takesStore({ ns: 'bucket', key: '1' }), true, 'other registers are stored as ever');
    const honest = faults('drip', 'withhold', 'trickle');
    assert.deepEqual(honest.missingParts(parts, [1]), [1], 'other modes report what is really missing');
    honest.missingParts(parts, []);
    assert.equal(honest.takesStore({ ns: 'parts', key: '1' }), true);
  });
});

describe('disk modes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-faults-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stale: writes are acknowledged and nothing is kept; reads see the store', async () => {
    const raw = DiskStore.open(join(dir, 'stale'), params.S);
    try {
      const one = write('s');
      const reg = regId(NS, 's');
      await raw.setLc(reg, NS, 's', one.c);
      const frozen = faults('stale').wrapStore(raw);
      assert.equal(frozen.lc(reg)?.ts.num, one.c.ts.num, 'reads go through');
      const two = write('s', one.c);
      await frozen.setLc(reg, NS, 's', two.c);
      assert.equal(frozen.lc(reg)?.ts.num, one.c.ts.num, 'lc did not move');
      const staging = frozen.newStagingPath();
      writeFileSync(staging, 'x');
      await frozen.installFragment(staging);
      assert.equal(existsSync(staging), false, 'the staged fragment is thrown away');
      await frozen.putHist(reg, {
        ts: two.c.ts, nbar: randomBytes(32), d: two.c.d, vec: two.c.vec, cc: two.cc, meta: two.meta, blocks: Buffer.alloc(0), blockSize: 64, fragLen: 0,
      }, { inline: Buffer.alloc(0) });
      assert.equal(raw.hist(reg, two.c.ts), undefined);
      assert.equal(raw.counts().histEntries, 0);
      assert.equal(faults('forge').wrapStore(raw), raw, 'other modes use the store itself');
    } finally {
      raw.close();
    }
  });

  it('amnesia: empties the data folder at start, but for what it is told to keep', () => {
    const data = join(dir, 'amnesia');
    mkdirSync(join(data, 'frags', 'ab'), { recursive: true });
    writeFileSync(join(data, 'node.db'), 'x');
    writeFileSync(join(data, 'keys.json'), '{}');
    faults('forge').atStart(data, ['keys.json']);
    assert.equal(readdirSync(data).length, 3, 'other modes touch nothing');
    faults('amnesia').atStart(data, ['keys.json']);
    assert.deepEqual(readdirSync(data), ['keys.json']);
    faults('amnesia').atStart(join(dir, 'missing'));
  });
});

describe('server hooks: silent, slow, withhold, trickle', () => {
  const key0 = keyring.nodeKey(0, 0)!;
  const dir = mkdtempSync(join(tmpdir(), 'ps-faults-srv-'));
  const servers: Server[] = [];
  const stores: DiskStore[] = [];
  let silentPort = 0;
  let slowPort = 0;

  const start = async (name: string, f: Faults): Promise<number> => {
    const store = DiskStore.open(join(dir, name), params.S);
    stores.push(store);
    const server = createNodeServer({
      index: 0, S: params.S, keys: keyring.nodeKeyring(0), store, log: createLogger('t', 'silent'),
      metrics: new NodeMetrics(0), inlineMax: 100, maxFragmentBytes: 1 << 20, faults: f,
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as { port: number }).port;
  };

  /** A signed clock request over a raw socket: what came back within `waitMs`, and whether the socket closed. */
  const rawClock = (port: number, waitMs: number): Promise<{ text: string; closed: boolean; ms: number }> => new Promise((resolve) => {
    const body = Buffer.from(JSON.stringify({ ns: NS, key: 'k' }));
    const hash = createHash('sha256').update(body).digest('hex');
    const started = Date.now();
    const c = connect(port, '127.0.0.1');
    let text = '';
    let closed = false;
    const done = (): void => {
      clearTimeout(timer);
      c.destroy();
      resolve({ text, closed, ms: Date.now() - started });
    };
    c.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      if (text.includes('{"lc"')) done();
    });
    c.on('close', () => (closed = true));
    c.write(`POST ${PATHS.clock} HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n${AUTH_HEADER}: ${signRequest(key0, 0, 'POST', PATHS.clock, hash)}\r\n` +
      `${BODY_HASH_HEADER}: ${hash}\r\n\r\n${body.toString('utf8')}`);
    const timer = setTimeout(done, waitMs);
  });

  /** A signed request over a raw socket: every data event that came within `waitMs` (or until `enough` says so), and whether the socket closed. */
  const rawCall = (port: number, path: string, body: Buffer, waitMs: number, enough: (got: Buffer) => boolean): Promise<{ events: Buffer[]; closed: boolean }> =>
    new Promise((resolve) => {
      const hash = createHash('sha256').update(body).digest('hex');
      const c = connect(port, '127.0.0.1');
      const events: Buffer[] = [];
      let closed = false;
      const done = (): void => {
        clearTimeout(timer);
        c.destroy();
        resolve({ events, closed });
      };
      c.on('data', (d: Buffer) => {
        events.push(d);
        if (enough(Buffer.concat(events))) done();
      });
      c.on('close', () => (closed = true));
      c.write(Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n${AUTH_HEADER}: ${signRequest(key0, 0, 'POST', path, hash)}\r\n` +
        `${BODY_HASH_HEADER}: ${hash}\r\n\r\n`), body]));
      const timer = setTimeout(done, waitMs);
    });
  let withholdPort = 0;
  let tricklePort = 0;

  before(async () => {
    silentPort = await start('silent', faults('silent'));
    // A delay far above a loaded machine's scheduling, so an undelayed /healthz is told from a delayed one by a wide margin.
    slowPort = await start('slow', Faults.parse(['slow'], true, 0, params.S, params.t, 1500));
    withholdPort = await start('withhold', faults('withhold'));
    tricklePort = await start('trickle', Faults.parse(['trickle'], true, 0, params.S, params.t, 5));
  });
  after(() => {
    for (const s of servers) s.closeAllConnections();
    for (const s of servers) s.close();
    for (const s of stores) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('silent: reads the request, never answers, keeps the socket open; /healthz still answers', async () => {
    const r = await rawClock(silentPort, 600);
    assert.equal(r.text, '');
    assert.equal(r.closed, false);
    const h = await fetch(`http://127.0.0.1:${silentPort}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(((await h.json()) as { ok: boolean }).ok, true);
  });

  it('slow: answers, but only after the delay', async () => {
    const r = await rawClock(slowPort, 5000);
    assert.match(r.text, /^HTTP\/1\.1 200/);
    assert.ok(r.ms >= 1490, `answered after ${r.ms} ms`);
    const t0 = Date.now();
    assert.equal((await fetch(`http://127.0.0.1:${slowPort}/healthz`)).status, 200);
    assert.ok(Date.now() - t0 < 1000, `/healthz is not delayed (${Date.now() - t0} ms)`);
  });

  it('withhold: a block request is read and never answered (socket open); metadata rounds are answered', async () => {
    const one = write('w');
    const req = Buffer.from(JSON.stringify({ ns: NS, key: 'w', ts: candToWire(one.c).ts, from: 0, to: 0 }));
    const r = await rawCall(withholdPort, PATHS.blocks, req, 600, () => false);
    assert.equal(Buffer.concat(r.events).length, 0, 'not a byte');
    assert.equal(r.closed, false);
    const clock = await rawClock(withholdPort, 5000);
    assert.match(clock.text, /^HTTP\/1\.1 200/);
  });

  it('trickle: a batch answer comes a byte at a time, and is the true answer', async () => {
    const batch = encodeBatch([{ route: PATHS.clock, payload: Buffer.from(JSON.stringify({ ns: NS, key: 'k' })) }]);
    const r = await rawCall(tricklePort, BATCH_PATH, batch, 20_000, (got) => {
      const head = got.indexOf('\r\n\r\n');
      const len = /content-length: (\d+)/i.exec(got.toString('latin1'));
      return head >= 0 && len !== null && got.length - head - 4 >= Number(len[1]);
    });
    const all = Buffer.concat(r.events);
    const head = all.indexOf('\r\n\r\n');
    assert.match(all.subarray(0, head).toString('latin1'), /^HTTP\/1\.1 200/);
    const body = all.subarray(head + 4);
    assert.ok(body.length > 10);
    assert.ok(r.events.length >= body.length, `${r.events.length} data events for ${body.length} body bytes`);
    const answers = decodeAnswers(body, 1);
    assert.equal(answers[0]!.status, 200);
    assert.deepEqual(json(answers[0]!.payload), { lc: null });
  });
});
