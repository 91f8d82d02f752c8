// "An ack means the data survives a power cut": the commit no longer syncs
// (synchronous=NORMAL), so the WAL file must be fdatasync'd, and have
// returned, before a change's caller hears of it. No test here can cut the
// power; strace can watch the system calls. A child process makes one
// durable change and then writes ACKED; the trace must show an fdatasync of
// node.db-wal begun after the store was open and returned before that write.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';

const dir = mkdtempSync(join(tmpdir(), 'ps-wal-sync-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Why strace cannot trace a child here (no strace, or ptrace refused), or null. */
function straceProblem(): string | null {
  const r = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true'], { encoding: 'utf8' });
  if (r.error) return `strace: ${r.error.message}`;
  return r.status === 0 ? null : `strace: ${r.stderr.trim()}`;
}

it('a change is acked only after an fdatasync of the WAL has returned', (t) => {
  const problem = straceProblem();
  if (problem) {
    t.skip(problem);
    return;
  }
  const store = new URL('./disk-store.js', import.meta.url).href;
  const child = `
    import { DiskStore } from ${JSON.stringify(store)};
    const s = DiskStore.open(${JSON.stringify(join(dir, 'store'))}, 4);
    process.stdout.write('OPENED\\n');
    await s.committer.run(() => s.db.prepare("INSERT INTO info (name, value) VALUES ('probe', 'x')").run());
    process.stdout.write('ACKED\\n');
    s.close();
  `;
  const log = join(dir, 'trace');
  const r = spawnSync('strace', ['-f', '-qq', '-y', '-e', 'trace=fdatasync,fsync,write', '-o', log,
    process.execPath, '--input-type=module', '-e', child], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'OPENED\nACKED\n');
  const lines = readFileSync(log, 'utf8').split('\n');
  const opened = lines.findIndex((l) => /write\(1<[^>]*>, "OPENED\\n"/.test(l));
  const acked = lines.findIndex((l) => /write\(1<[^>]*>, "ACKED\\n"/.test(l));
  assert.ok(opened >= 0 && acked > opened, 'the OPENED and ACKED writes are in the trace');
  // A call on the WAL, whole ("= 0") or begun ("<unfinished ...>") and
  // resumed later by the same thread.
  const pidOf = (l: string): string => /^(\d+)/.exec(l)?.[1] ?? '';
  let synced = -1;
  lines.forEach((l, i) => {
    // Opening the store syncs the WAL too: only a sync of the change counts.
    if (i < opened) return;
    if (!/\b(fdatasync|fsync)\(\d+<[^>]*node\.db-wal>\)/.test(l)) return;
    if (/= 0$/.test(l)) synced = synced < 0 ? i : Math.min(synced, i);
    else if (/<unfinished \.\.\.>$/.test(l)) {
      const resumed = lines.findIndex((m, j) => j > i && pidOf(m) === pidOf(l) && /<\.\.\. (fdatasync|fsync) resumed>.*= 0$/.test(m));
      if (resumed >= 0) synced = synced < 0 ? resumed : Math.min(synced, resumed);
    }
  });
  assert.ok(synced >= 0, `no sync of node.db-wal in the trace:\n${lines.filter((l) => /sync/.test(l)).join('\n')}`);
  assert.ok(synced < acked, `the WAL's sync returned (line ${synced}) before the ack (line ${acked})`);
});
