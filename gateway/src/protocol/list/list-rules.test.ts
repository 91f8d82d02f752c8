// Each rule of a listing page (list-merge.ts, checkPage), broken by one node
// at a time: the page is evidence against that node with the rule it broke,
// no other node is blamed, and the listing still shows every live key once,
// in order. Node 3 answers late, so node 1's page reaches the round before it
// ends; a page that breaks a rule after the round has ended is evidence all
// the same.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ListEntry, ListPage, ListRequest } from '@powerstore/shared/node-api.js';
import { QuorumError } from '@powerstore/shared/errors.js';
import type { Evidence } from '@powerstore/shared/protocol/evidence.js';
import { WireError } from '@powerstore/shared/protocol/wire/wire.js';
import { until } from '@powerstore/shared/testing/until.js';
import { listMerged } from './list-merge.js';
import { override } from '../testing/byzantine.js';
import { del, listAll, put } from '../testing/ops.js';
import { simCluster, type SimCluster } from '../testing/sim-cluster.js';

const signal = new AbortController().signal;

const KEYS = ['a', 'b', 'c/1', 'c/2', 'd', 'f', 'g', 'h'];

async function populated(): Promise<SimCluster> {
  const cl = simCluster(1);
  const gw = cl.gateway();
  for (const k of KEYS) await put(gw, k, Buffer.from(k));
  return cl;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A node whose listing pages come `ms` late. */
function late(cl: SimCluster, i: number, ms: number): void {
  cl.wrap(i, (n) => override(n, { list: async (req, s) => { const p = await n.list(req, s); await sleep(ms); return p; } }));
}

/**
 * Node 1 rewrites each page it answers: within the round (node 3 is
 * slower, so the round needs node 1's answer or node 3's), or after it.
 */
function rewrite(cl: SimCluster, f: (req: ListRequest, page: ListPage) => ListPage, when: 'in-round' | 'late' = 'in-round'): void {
  cl.wrap(1, (n) => override(n, { list: async (req, s) => f(req, await n.list(req, s)) }));
  if (when === 'in-round') late(cl, 3, 20);
  else late(cl, 1, 30);
}

function blamed(cl: SimCluster): Evidence[] {
  assert.deepEqual(cl.evidence.filter((e) => e.node !== 1), [], 'no honest node blamed');
  return cl.evidence.filter((e) => e.node === 1 && e.kind === 'bad-listing');
}

const withKey = (e: ListEntry, key: string): ListEntry => ({ ...e, key });

describe('listing page rules', () => {
  it('more entries than asked for', async () => {
    const cl = await populated();
    rewrite(cl, (req, p) => (p.entries.length === req.limit ? { ...p, entries: [...p.entries, withKey(p.entries.at(-1)!, `${p.entries.at(-1)!.key}~`)] } : p));
    assert.deepEqual(await listAll(cl.gateway()), KEYS);
    assert.ok(blamed(cl).some((e) => e.detail === 'more entries than asked for'), JSON.stringify(cl.evidence));
  });

  it('a short page claiming more, and one claiming to be full by bytes that is not', async () => {
    for (const byteLimited of [false, true]) {
      const cl = await populated();
      rewrite(cl, (_req, p) => ({ entries: p.entries.slice(0, 1), truncated: true, ...(byteLimited ? { byteLimited } : {}) }));
      assert.deepEqual(await listAll(cl.gateway()), KEYS);
      const details = blamed(cl).map((e) => e.detail);
      if (byteLimited) assert.ok(details.some((d) => /^byte-limited page weighs only \d+ bytes$/.test(d)), details.join());
      else assert.ok(details.includes('short page claims more'), details.join());
    }
  });

  it('a key outside the prefix', async () => {
    const cl = await populated();
    rewrite(cl, (req, p) => (req.prefix === 'c/' && p.entries.length > 0 ? { ...p, entries: [...p.entries.slice(0, 1), withKey(p.entries[0]!, 'c0')] } : p));
    assert.deepEqual(await listAll(cl.gateway(), 'c/', 10), ['c/1', 'c/2']);
    assert.ok(blamed(cl).some((e) => e.detail === 'key outside prefix'), JSON.stringify(cl.evidence));
  });

  it('a key at the marker, or under a marker whose prefix is skipped', async () => {
    const cl = await populated();
    rewrite(cl, (req, p) => (req.after !== null && p.entries.length > 0 ? { ...p, entries: [withKey(p.entries[0]!, req.skipPrefix ? `${req.after}9` : req.after), ...p.entries.slice(1)] } : p));
    assert.deepEqual(await listAll(cl.gateway()), KEYS);
    assert.ok(blamed(cl).some((e) => e.detail === 'key at or before the marker'), JSON.stringify(cl.evidence));
    cl.evidence.length = 0;
    const page = await listMerged(cl.gateway(), { ns: 'bucket', prefix: '', after: 'c/', skipPrefix: true, limit: 10 }, signal);
    assert.deepEqual(page.entries.map((e) => e.key), ['d', 'f', 'g', 'h']);
    assert.ok(blamed(cl).some((e) => e.detail === 'key at or before the marker'), JSON.stringify(cl.evidence));
  });

  it('keys out of order', async () => {
    const cl = await populated();
    rewrite(cl, (_req, p) => (p.entries.length >= 2 ? { ...p, entries: [p.entries[1]!, p.entries[0]!, ...p.entries.slice(2)] } : p));
    assert.deepEqual(await listAll(cl.gateway()), KEYS);
    assert.ok(blamed(cl).some((e) => e.detail === 'keys out of order'), JSON.stringify(cl.evidence));
  });

  it('a key twice', async () => {
    const cl = await populated();
    rewrite(cl, (_req, p) => (p.entries.length >= 2 ? { ...p, entries: [p.entries[0]!, p.entries[0]!, ...p.entries.slice(2)] } : p));
    assert.deepEqual(await listAll(cl.gateway()), KEYS);
    assert.ok(blamed(cl).some((e) => e.detail === 'keys out of order'), JSON.stringify(cl.evidence));
  });

  it('an entry that is not authentic for its key', async () => {
    const cl = await populated();
    rewrite(cl, (_req, p) => (p.entries.length >= 2 ? { ...p, entries: [p.entries[0]!, { ...p.entries[1]!, lc: p.entries[0]!.lc }, ...p.entries.slice(2)] } : p));
    assert.deepEqual(await listAll(cl.gateway()), KEYS);
    assert.ok(blamed(cl).some((e) => e.detail === 'entry "b" is not authentic'), JSON.stringify(cl.evidence));
  });

  it('a page breaking a rule after the round ended is evidence too', async () => {
    const cl = await populated();
    rewrite(cl, (_req, p) => ({ entries: p.entries.slice(0, 1), truncated: true }), 'late');
    assert.deepEqual(await listAll(cl.gateway()), KEYS);
    await until('the late page is judged', () => cl.evidence.some((e) => e.detail === 'short page claims more'), 5_000, 10);
    assert.ok(blamed(cl).some((e) => e.detail === 'short page claims more'), JSON.stringify(cl.evidence));
  });

  it('delete markers are listed as entries and hidden by the caller', async () => {
    const cl = await populated();
    await del(cl.gateway(), 'd');
    assert.deepEqual(await listAll(cl.gateway()), KEYS.filter((k) => k !== 'd'));
    assert.deepEqual(cl.evidence, []);
  });
});

describe('listing rounds', () => {
  it('count one list round and one list operation per page', async () => {
    const cl = await populated();
    const page = await listMerged(cl.gateway(), { ns: 'bucket', prefix: '', after: null, skipPrefix: false, limit: 100 }, signal);
    assert.equal(page.entries.length, KEYS.length);
    assert.equal(cl.rounds.get('list'), 1);
    assert.equal(cl.operations.get('list'), 1);
  });

  it('a node answering a page that does not parse is blamed for a malformed list answer', async () => {
    const cl = await populated();
    cl.wrap(1, (n) => override(n, { list: () => Promise.reject(new WireError('bad list page')) }));
    assert.deepEqual(await listAll(cl.gateway()), KEYS);
    assert.deepEqual(cl.evidence.filter((e) => e.node === 1).map((e) => `${e.kind} ${e.detail}`).slice(0, 1), ['malformed list: bad list page']);
    assert.deepEqual(cl.evidence.filter((e) => e.node !== 1), []);
  });

  it('too few pages is a quorum error of the list round (not an unknown key epoch)', async () => {
    const cl = await populated();
    cl.wrap(1, (n) => override(n, { list: () => Promise.reject(new Error('down')) }));
    cl.wrap(2, (n) => override(n, { list: () => Promise.reject(new Error('down')) }));
    const failed = await listMerged(cl.gateway(), { ns: 'bucket', prefix: '', after: null, skipPrefix: false, limit: 10 }, signal).then(() => null, (e: unknown) => e);
    assert.ok(failed instanceof QuorumError, String(failed));
    assert.match(failed.message, /^list: \d of 3 required answers \(node 1: down; node 2: down\)$/);
  });
});
