import { strict as assert } from 'node:assert';
import Database from 'better-sqlite3';
import { describe, it } from 'node:test';
import { GroupCommitter } from './group-commit.js';

/** A sync the test releases by hand; counts its calls. */
function gatedSync() {
  const calls: Array<{ release: () => void; fail: (e: Error) => void }> = [];
  const sync = (): Promise<void> => new Promise<void>((resolve, reject) => calls.push({ release: resolve, fail: reject }));
  return { sync, calls };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Whether p settled within the current turn and the next few. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 3; i++) await tick();
  return done;
}

function db(): Database.Database {
  const d = new Database(':memory:');
  d.exec('CREATE TABLE t (v INTEGER)');
  return d;
}

const count = (d: Database.Database): number => (d.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;

describe('group commit with the sync off the event loop', () => {
  it('commits the ops of one turn in one transaction, and answers them only once one sync has returned', async () => {
    const d = db();
    const g = gatedSync();
    const c = new GroupCommitter(d, g.sync);
    const ops = [1, 2, 3].map((v) => c.run(() => d.prepare('INSERT INTO t VALUES (?)').run(v)));
    await tick();
    assert.equal(count(d), 3, 'committed');
    assert.equal(g.calls.length, 1, 'one sync for the group');
    assert.equal(await settled(Promise.all(ops)), false, 'not answered before the sync returned');
    g.calls[0]!.release();
    assert.equal(await settled(Promise.all(ops)), true);
  });

  it('ops queued while a sync runs commit after it, in one transaction, and wait for the next sync', async () => {
    const d = db();
    const g = gatedSync();
    let transactions = 0;
    const counted = new Proxy(d, {
      get: (target, p) => (p === 'transaction'
        ? (fn: () => void) => {
          transactions++;
          return target.transaction(fn);
        }
        : Reflect.get(target, p) as unknown),
    });
    const c = new GroupCommitter(counted, g.sync);
    const insert = (v: number) => (): void => {
      d.prepare('INSERT INTO t VALUES (?)').run(v);
    };
    const first = c.run(insert(1));
    await tick();
    const second = c.run(insert(2));
    await tick();
    const third = c.run(insert(3));
    await tick();
    assert.equal(count(d), 1, 'nothing more committed while the sync runs');
    assert.equal(g.calls.length, 1, 'syncs run one at a time');
    g.calls[0]!.release();
    assert.equal(await settled(first), true);
    assert.equal(count(d), 3, 'the two queued ops committed once the sync returned');
    assert.equal(g.calls.length, 2, 'and one sync covers them');
    assert.equal(transactions, 2, 'one transaction for the first op, one for the two queued');
    assert.equal(await settled(Promise.race([second, third])), false, 'not answered before that sync returned');
    g.calls[1]!.release();
    assert.equal(await settled(Promise.all([second, third])), true);
  });

  it('ops queued behind a sync that fails are refused, not left waiting', async () => {
    const d = db();
    const g = gatedSync();
    const c = new GroupCommitter(d, g.sync);
    const first = c.run(() => d.prepare('INSERT INTO t VALUES (1)').run());
    await tick();
    const queued = c.run(() => d.prepare('INSERT INTO t VALUES (2)').run());
    await tick();
    g.calls[0]!.fail(new Error('EIO'));
    await assert.rejects(first, /EIO/);
    await assert.rejects(queued, /EIO/);
    assert.equal(count(d), 1, 'the queued op never reached the database');
  });

  it('durable(): null when every commit is synced, else a promise of the sync that covers them', async () => {
    const d = db();
    const g = gatedSync();
    const c = new GroupCommitter(d, g.sync);
    assert.equal(c.durable(), null);
    void c.run(() => d.prepare('INSERT INTO t VALUES (1)').run());
    assert.equal(c.durable(), null, 'queued, not committed: nothing in the database to hide yet');
    await tick();
    const d1 = c.durable();
    assert.ok(d1, 'committed and not synced');
    assert.equal(await settled(d1), false);
    g.calls[0]!.release();
    assert.equal(await settled(d1), true);
    assert.equal(c.durable(), null);
  });

  it('barrier() waits for the queued ops and for their sync', async () => {
    const d = db();
    const g = gatedSync();
    const c = new GroupCommitter(d, g.sync);
    void c.run(() => d.prepare('INSERT INTO t VALUES (1)').run());
    const b = c.barrier();
    await tick();
    assert.equal(await settled(b), false);
    g.calls[0]!.release();
    assert.equal(await settled(b), true);
  });

  it('a failed transaction rejects its callers and syncs nothing', async () => {
    const d = db();
    const g = gatedSync();
    const c = new GroupCommitter(d, g.sync);
    const bad = c.run(() => d.prepare('INSERT INTO nowhere VALUES (1)').run());
    await assert.rejects(bad, /no such table/);
    assert.equal(g.calls.length, 0);
    assert.equal(c.durable(), null);
  });

  it('a failed sync fails its waiters and everything after it: the disk\'s state is unknown', async () => {
    const d = db();
    const g = gatedSync();
    const c = new GroupCommitter(d, g.sync);
    const first = c.run(() => d.prepare('INSERT INTO t VALUES (1)').run());
    await tick();
    const waiting = c.durable()!;
    g.calls[0]!.fail(new Error('EIO'));
    await assert.rejects(first, /EIO/);
    await assert.rejects(waiting, /EIO/);
    await assert.rejects(c.durable()!, /EIO/, 'answers are refused too');
    await assert.rejects(c.run(() => d.prepare('INSERT INTO t VALUES (2)').run()), /EIO/);
    assert.equal(count(d), 1, 'nothing more was committed');
    assert.equal(g.calls.length, 1, 'no sync after the failure');
  });
});
