// The node's durable state (DESIGN §4, §9): lc per register and the
// write-once history Hist, in SQLite (WAL; each group commit's transaction
// is made durable by an fdatasync of the WAL file in the thread pool before
// anyone is answered: group-commit.ts), plus fragment files. Small
// fragments live inline in the database (one fsync for the whole store);
// mid-size ones are appended to a shared segment file (segments.ts) and
// synced; large ones are files written to staging, fsync'd, renamed into
// frags/ and the directory fsync'd. Either way the bytes are durable before
// the history row that names them commits. Keys are never file names: files
// are named by random ids and registers by the hash of (namespace, key).
//
// A history entry is deleted only by garbage collection (collect: below lc,
// not pinned by a read, not a part of another entry), and lc is never
// deleted. Small entries are also kept in memory (hist-cache.ts), a mirror
// of their rows. An entry's metadata never changes; its
// fragment bytes change only when a heal replaces a copy that no longer
// matches its own block list (replaceFragment, fragment-repair.ts).

import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { equalBytes } from '@powerstore/shared/bytes.js';
import type { Candidate } from '@powerstore/shared/protocol/candidate.js';
import type { HistHead, HistRecord, PartRef } from '@powerstore/shared/protocol/server.js';
import { compareTs, type Timestamp } from '@powerstore/shared/protocol/timestamp.js';
import { regId } from '@powerstore/shared/protocol/register.js';
import { candToWire, parseCand, parseTs, tsToWire } from '@powerstore/shared/protocol/wire/wire.js';
import { AlignedPool, DIRECT_ALIGN, directIoWorks } from './direct-io.js';
import { locationRange, parseLocation, Segments, SEGS, type FragmentAt, type SegmentOptions } from './segments/segments.js';
import { roundUp } from '@powerstore/shared/erasure/layout.js';
import { GroupCommitter } from './group-commit.js';
import { HistCache, histKey } from './hist-cache.js';
import { LcCache } from './lc-cache.js';
import { prepareSchema } from './schema.js';
import { DIR_MODE, ownerOnlyDatabase, ownerOnlyDir } from '../owner-only.js';

export interface StoredHist extends HistRecord {
  /** Fragment file (relative to the data dir) or null when inline. */
  readonly fragFile: string | null;
  readonly fragInline: Buffer | null;
}

/** A listing's row, as the list answer takes it (StoredListEntry). */
export interface ListRow {
  /** The key's bytes (UTF-8). */
  readonly key: Buffer;
  /** lc as stored: the JSON text of its wire form (candToWire). */
  readonly lcJson: string;
  /** lc's description, when this node holds lc's history entry: cc as stored (S hashes in a row), and meta. */
  readonly cc?: Buffer;
  readonly meta?: Buffer;
}

/**
 * A listing's rows from `bound` on (in key order, below the upper bound),
 * each with the description of its lc's history entry when there is one: lc
 * is the JSON text the store wrote (candToWire), so its ts fields name it.
 */
function listQuery(bound: string): string {
  return `SELECT r.key, r.lc, h.cc, h.meta FROM regs r LEFT JOIN hist h ON h.reg = r.reg
      AND h.num = json_extract(r.lc, '$.ts.n') AND h.writer = json_extract(r.lc, '$.ts.w') AND h.op = json_extract(r.lc, '$.ts.o')
    WHERE r.ns = ? AND ${bound} AND r.key < ? AND r.lc IS NOT NULL ORDER BY r.key LIMIT ?`;
}

/** What putHist did: recorded the entry, found one there already, or found a part gone. */
export type PutHistResult =
  | { readonly kind: 'stored' }
  | { readonly kind: 'exists' }
  | { readonly kind: 'missing-parts'; readonly missing: readonly number[] };

export type StoreOptions = SegmentOptions;

/** What one register's collection did (DiskStore.collect). */
export interface Collected {
  readonly dropped: number;
  /** Entries that stayed only because a read pins them. */
  readonly pinned: number;
  /** Part registers a dropped entry was made of. */
  readonly released: Buffer[];
  /** Segments that held a dropped entry's fragment (for tidySegment). */
  readonly segments: string[];
}

/** How long a segment no row names stays, for reads that looked its fragments up just before (and wait for a sync). */
const LEAVING_MS = 5_000;
/** How long a compacted fragment's old location still resolves to its new one (putHist). */
const MOVED_KEEP_MS = 60_000;
/** Compaction's read buffer on a node whose filesystem refuses O_DIRECT. */
const COMPACTION_BUFFERS = new AlignedPool(1);

interface CollectRow {
  num: number;
  writer: string;
  op: number;
  frag_file: string | null;
}

interface HistRow {
  ts: string;
  nbar: Buffer;
  d: Buffer;
  vec: Buffer;
  cc: Buffer;
  meta: Buffer;
  blocks: Buffer;
  block_size: number;
  frag_len: number;
  frag_file: string | null;
  frag_inline: Buffer | null;
}

const EMPTY = Buffer.alloc(0);
/** UTF-8 never contains 0xff, so this is above every key of at most 1024 bytes. */
const ABOVE_ALL_KEYS = Buffer.alloc(1100, 0xff);

/** fsyncs a directory (a rename into it is durable once this resolves). */
async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

function syncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The folders of frags/, by a fragment id's first two hex digits. All of
 * them are made, and made durable, when the store opens: a folder made
 * by the first store into it was not (its entry in frags/ was never
 * fsync'd, and on a filesystem without a journal a power cut could lose
 * it with the fragments renamed into it), and every store paid a mkdir
 * system call to learn that the folder was there.
 */
const FRAG_FOLDERS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Makes folder `dir` if it is gone, and durable (its parent fsync'd) if it was made. */
async function ensureFolder(dir: string): Promise<void> {
  if (mkdirSync(dir, { recursive: true, mode: DIR_MODE }) !== undefined) await syncDir(dirname(dir));
}

function splitHashes(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += 32) out.push(b.subarray(i, i + 32));
  return out;
}

export class DiskStore {
  readonly db: Database.Database;
  readonly committer: GroupCommitter;
  /** lc values decided but not yet committed; answers touching them wait for the commit. */
  private readonly pendingLc = new Map<string, Candidate>();
  /** Committed lc values read or written lately (lc-cache.ts): the regs table's, exactly. */
  private readonly lcCache = new LcCache();
  /** History entries of small objects stored or read lately (hist-cache.ts): the hist table's, exactly. */
  private readonly histCache = new HistCache();
  private readonly stmts;
  private wal: Promise<FileHandle> | null = null;
  /** Aligned buffers for fragment files, written and read with O_DIRECT; null where the filesystem refuses it (direct-io.ts). */
  readonly directPool: AlignedPool | null;
  /** Segment files of mid-size fragments (segments.ts). */
  readonly segments: Segments;
  /**
   * Fragments compaction moved lately, old location to new: a store of a
   * write stored again (storeFrom) may name the old one after the move
   * committed; putHist records the new one instead. Kept for MOVED_KEEP_MS.
   */
  private readonly moved = new Map<string, string>();
  /** Segments no row names, waiting out LEAVING_MS before they are removed. */
  private readonly leaving = new Set<string>();

  private constructor(readonly dir: string, private readonly S: number, opts: StoreOptions) {
    for (const d of [dir, join(dir, 'staging'), join(dir, 'frags'), join(dir, SEGS)]) ownerOnlyDir(d);
    this.directPool = directIoWorks(join(dir, 'staging')) ? new AlignedPool() : null;
    this.segments = new Segments(dir, this.directPool !== null, syncDir, opts);
    ownerOnlyDatabase(join(dir, 'node.db'));
    this.db = new Database(join(dir, 'node.db'));
    // One connection, in one process (the data folder's lock): with the lock
    // held for good, the WAL index lives in this process's memory and no
    // transaction takes or drops a file lock, where each took about a dozen
    // fcntl calls (`strace -c`: 15 a 4 KiB PUT at a node). Set before the
    // first WAL access, or SQLite goes on using the shared-memory file.
    this.db.pragma('locking_mode = EXCLUSIVE');
    this.db.pragma('journal_mode = WAL');
    // NORMAL: a commit writes the WAL without an fsync (the committer syncs
    // the WAL off the event loop); a checkpoint still syncs the WAL before
    // it copies pages into the database and the database after, so the WAL
    // is never reused before what it held is on disk.
    this.db.pragma('synchronous = NORMAL');
    prepareSchema(this.db, dir);
    // Statement journals (SQLite's undo of one statement inside a
    // transaction) stay in memory. By default one moves to a temporary file
    // once it outgrows 64 KiB, and stays there for the connection's life:
    // from then on every page a statement journals is two write calls. At
    // t = 2 that happened within seconds of a PUT load, and a node's write
    // calls a 4 KiB PUT went from 21 to 42 (issue 11). Set after the
    // schema's migrations, whose index builds may still sort on disk; no
    // statement the node prepares sorts in a temporary B-tree.
    this.db.pragma('temp_store = MEMORY');
    // A rolled-back transaction may have cached lc values and entries it wrote: drop them all.
    this.committer = new GroupCommitter(this.db, () => this.syncWal(), () => {
      this.lcCache.clear();
      this.histCache.clear();
    });
    this.stmts = {
      getLc: this.db.prepare('SELECT lc FROM regs WHERE reg = ?'),
      upsertLc: this.db.prepare(
        'INSERT INTO regs (reg, ns, key, lc) VALUES (?, ?, ?, ?) ON CONFLICT (reg) DO UPDATE SET lc = excluded.lc',
      ),
      // A complete's validity check reads these four columns only (histHead).
      getHistHead: this.db.prepare('SELECT ts, nbar, d, vec FROM hist WHERE reg = ? AND num = ? AND writer = ? AND op = ?'),
      getHist: this.db.prepare(
        'SELECT ts, nbar, d, vec, cc, meta, blocks, block_size, frag_len, frag_file, frag_inline FROM hist WHERE reg = ? AND num = ? AND writer = ? AND op = ?',
      ),
      putHist: this.db.prepare(
        `INSERT INTO hist (reg, num, writer, op, ts, nbar, d, vec, cc, meta, blocks, block_size, frag_len, frag_file, frag_inline, refs)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
      histExists: this.db.prepare('SELECT 1 FROM hist WHERE reg = ? AND num = ? AND writer = ? AND op = ?'),
      fileUsed: this.db.prepare('SELECT 1 FROM hist WHERE frag_file = ? LIMIT 1'),
      // A segment's fragments are one range of hist_by_file (segments.ts locationRange).
      segmentUsed: this.db.prepare('SELECT 1 FROM hist WHERE frag_file >= ? AND frag_file < ? LIMIT 1'),
      segmentFrags: this.db.prepare('SELECT frag_file, max(frag_len) AS frag_len FROM hist WHERE frag_file >= ? AND frag_file < ? GROUP BY frag_file'),
      moveFrag: this.db.prepare('UPDATE hist SET frag_file = ? WHERE frag_file = ?'),
      // Healing a corrupt copy (replaceFragment): fragment bytes and block list only.
      replaceInline: this.db.prepare('UPDATE hist SET frag_inline = ?, blocks = ? WHERE reg = ? AND num = ? AND writer = ? AND op = ? AND frag_file IS NULL'),
      replaceBlocks: this.db.prepare('UPDATE hist SET blocks = ? WHERE reg = ? AND num = ? AND writer = ? AND op = ?'),
      // One lower bound each: given `key >= ? AND key > ?`, SQLite seeks by
      // one of them and filters by the other, so every page of a listing
      // walked the index from the prefix's first key (quadratic: 255 keys/s
      // over 100,000 keys). listRows passes the larger bound. lc's
      // description (cc and meta, not its fragment bytes) is joined in: a
      // second statement per row, and parsing lc to name its entry, took
      // 13-15 µs a row against 10-12 joined (a copy of a node's database,
      // 20,000 objects).
      listFrom: this.db.prepare(listQuery('r.key >= ?')),
      listAfter: this.db.prepare(listQuery('r.key > ?')),
      histOf: this.db.prepare('SELECT num, writer, op, frag_file FROM hist WHERE reg = ?'),
      dropHist: this.db.prepare('DELETE FROM hist WHERE reg = ? AND num = ? AND writer = ? AND op = ?'),
      isReferenced: this.db.prepare('SELECT 1 FROM part_refs WHERE part_reg = ? AND part_num = ? AND part_writer = ? AND part_op = ? LIMIT 1'),
      addRef: this.db.prepare('INSERT OR IGNORE INTO part_refs VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      partsOf: this.db.prepare('SELECT DISTINCT part_reg FROM part_refs WHERE owner_reg = ? AND owner_num = ? AND owner_writer = ? AND owner_op = ?'),
      dropRefs: this.db.prepare('DELETE FROM part_refs WHERE owner_reg = ? AND owner_num = ? AND owner_writer = ? AND owner_op = ?'),
      // Registers, history entries, fragment bytes held (inline ones, plus each file once): TALLIES in schema.ts.
      tally: this.db.prepare('SELECT n FROM tallies WHERE name = ?').pluck(),
    };
  }

  /** Opens (creating if needed) the store and sweeps what a crash left behind. */
  static open(dir: string, S: number, opts: StoreOptions = {}): DiskStore {
    const s = new DiskStore(dir, S, opts);
    s.sweep();
    return s;
  }

  close(): void {
    this.segments.close();
    this.db.close();
    // A sync still running holds the handle open until it returns.
    void this.wal?.then((h) => h.close()).catch(() => undefined);
    this.wal = null;
  }

  /**
   * Makes every transaction committed so far durable: fdatasync of the WAL
   * file (a commit appends its frames there; the database file changes only
   * at checkpoints, which sync it themselves). fsync applies to the file,
   * whatever descriptor wrote it, so the committer's own handle does. The
   * WAL is there from the first commit on, and stays the same file while the
   * database is open.
   */
  private syncWal(): Promise<void> {
    this.wal ??= open(join(this.dir, 'node.db-wal'), 'r');
    return this.wal.then((h) => h.datasync());
  }

  /** A fresh staging file path (never derived from user input). */
  newStagingPath(): string {
    return join(this.dir, 'staging', `${randomBytes(16).toString('hex')}.tmp`);
  }

  /**
   * lc for deciding (complete, filter write-back): the newest one, pending
   * or committed, so lc never goes down. Never for an answer: see committedLc.
   */
  lc(reg: Buffer): Candidate | null {
    return this.pendingLc.get(reg.toString('hex')) ?? this.committedLc(reg);
  }

  /**
   * lc as committed: what answers may reveal (an answer leaves once the
   * commit is durable too: GroupCommitter.durable(), server.ts). Called
   * inside a group-commit op, it also sees the ops before it in that
   * transaction, which commit with it or not at all.
   */
  committedLc(reg: Buffer): Candidate | null {
    const id = reg.toString('hex');
    const cached = this.lcCache.get(id);
    if (cached !== undefined) return cached;
    const row = this.stmts.getLc.get(reg) as { lc: string | null } | undefined;
    return this.lcCache.set(id, row?.lc ? parseCand(JSON.parse(row.lc), this.S) : null);
  }

  /** Resolves once any not-yet-durable change to this register is durable. */
  async settled(reg: Buffer): Promise<void> {
    if (this.pendingLc.has(reg.toString('hex'))) await this.committer.barrier();
  }

  /** Sets lc (the caller decided it is newer); resolves once durable. */
  setLc(reg: Buffer, ns: string, key: string, c: Candidate): Promise<void> {
    const id = reg.toString('hex');
    this.pendingLc.set(id, c);
    const json = JSON.stringify(candToWire(c));
    return this.committer
      .run(() => {
        this.stmts.upsertLc.run(reg, ns, Buffer.from(key, 'utf8'), json);
        // Inside the transaction, as the row is: a rollback drops the cache (constructor).
        this.lcCache.set(id, c);
      })
      .finally(() => {
        if (this.pendingLc.get(id) === c) this.pendingLc.delete(id);
      });
  }

  /**
   * The fields of Hist[ts] a candidate's validity is decided on, without
   * its fragment, metadata and lists: a complete's lookup copied a 4 KiB
   * object's 2 KiB inline fragment out of the row for nothing (17 µs a
   * lookup against 8.4, issue 11).
   */
  histHead(reg: Buffer, ts: Timestamp): HistHead | undefined {
    const kept = this.histCache.get(histKey(reg.toString('hex'), ts));
    if (kept) return { ts: kept.ts, nbar: kept.nbar, d: kept.d, vec: kept.vec };
    const row = this.stmts.getHistHead.get(reg, ts.num, ts.writer, ts.op) as Pick<HistRow, 'ts' | 'nbar' | 'd' | 'vec'> | undefined;
    return row && { ts: parseTs(JSON.parse(row.ts)), nbar: row.nbar, d: row.d, vec: splitHashes(row.vec) };
  }

  /**
   * Hist[ts], from the cache of recent small entries when it is there
   * (hist-cache.ts): for deciding and describing (filter, entry, a
   * multipart's parts). Fragment bytes that must be the disk's own (a
   * heal's check, block reads) come from histOnDisk.
   */
  hist(reg: Buffer, ts: Timestamp): StoredHist | undefined {
    const key = histKey(reg.toString('hex'), ts);
    const kept = this.histCache.get(key);
    if (kept) return kept;
    const h = this.histOnDisk(reg, ts);
    return h && this.histCache.set(key, h);
  }

  /** Hist[ts] as the database holds it now, never from the cache. */
  histOnDisk(reg: Buffer, ts: Timestamp): StoredHist | undefined {
    const row = this.stmts.getHist.get(reg, ts.num, ts.writer, ts.op) as HistRow | undefined;
    if (!row) return undefined;
    return {
      ts: parseTs(JSON.parse(row.ts)),
      nbar: row.nbar,
      d: row.d,
      vec: splitHashes(row.vec),
      cc: splitHashes(row.cc),
      meta: row.meta,
      blocks: row.blocks,
      blockSize: row.block_size,
      fragLen: row.frag_len,
      fragFile: row.frag_file,
      fragInline: row.frag_inline,
    };
  }

  /**
   * Moves a fsync'd staging file into frags/ (fsyncing the directory) and
   * returns its name relative to the data dir.
   */
  async installFragment(stagingPath: string): Promise<string> {
    const id = randomBytes(16).toString('hex');
    const sub = id.slice(0, 2);
    const dir = join(this.dir, 'frags', sub);
    await rename(stagingPath, join(dir, id)).catch(async (e: NodeJS.ErrnoException) => {
      // The folder is made at open; removed since (by hand?), it is made again.
      if (e.code !== 'ENOENT') throw e;
      await ensureFolder(dir);
      await rename(stagingPath, join(dir, id));
    });
    await syncDir(dir);
    return join('frags', sub, id);
  }

  /**
   * Heals a corrupt local copy of Hist[rec.ts] (fragment-repair.ts decided
   * it is corrupt and that `frag` is a verified copy with block list
   * `blocks`): replaces the fragment bytes, and the block list when the
   * stored one no longer hashes to cc[i]. The entry's ts, N̄, D, vec, cc and
   * meta are never touched (write-once). A file-backed fragment is replaced
   * in place: the fsync'd staging file is renamed over it (atomic: a reader
   * gets the old bytes or the new), then the directory is fsync'd. Every
   * entry sharing the file (a write stored again under a new ts, DESIGN §4)
   * has the same block list, so all of them get a good copy.
   */
  async replaceFragment(reg: Buffer, rec: StoredHist, frag: { staging: string } | { location: string } | { inline: Buffer }, blocks: Buffer): Promise<void> {
    const { num, writer, op } = rec.ts;
    const key = histKey(reg.toString('hex'), rec.ts);
    if (rec.fragFile && ('location' in frag || ('staging' in frag && parseLocation(rec.fragFile)))) {
      // The good copy is in a segment, or the bad one was (a segment's range
      // is not renamed over): every row naming the old copy moves to the
      // new one (they share its bytes), and an old file no row names goes.
      const from = rec.fragFile;
      const to = 'location' in frag ? frag.location : await this.installFragment(frag.staging);
      await this.committer.run(() => {
        this.stmts.moveFrag.run(to, from);
        if (!equalBytes(blocks, rec.blocks)) this.stmts.replaceBlocks.run(blocks, reg, num, writer, op);
        this.histCache.delete(key);
      });
      if (!parseLocation(from) && !this.stmts.fileUsed.get(from)) await rm(this.fragPath(from), { force: true });
    } else if (rec.fragFile) {
      if (!('staging' in frag)) throw new Error('a fragment file is replaced from a staging file');
      const path = this.fragPath(rec.fragFile);
      await ensureFolder(dirname(path)); // the file (and its folder) may be gone altogether
      await rename(frag.staging, path);
      await syncDir(dirname(path));
      if (!equalBytes(blocks, rec.blocks)) {
        await this.committer.run(() => {
          this.stmts.replaceBlocks.run(blocks, reg, num, writer, op);
          this.histCache.delete(key);
        });
      }
    } else {
      if (!('inline' in frag)) throw new Error('an inline fragment is replaced from memory');
      await this.committer.run(() => {
        this.stmts.replaceInline.run(frag.inline, blocks, reg, num, writer, op);
        this.histCache.delete(key);
      });
    }
  }

  /**
   * Records Hist[ts] (write-once); resolves once durable, saying whether it
   * did. `refs` are the writes this one's value is made of (kept for
   * garbage collection); their entries are looked up inside the committing
   * transaction, where the collector's drops are ordered with this insert,
   * and if one is gone nothing is recorded ('missing-parts', with the
   * indexes of the missing refs): a node never records an object over a
   * part it no longer holds. 'exists': an entry for ts was recorded first
   * (an identical store running concurrently, or a conflicting one; the
   * caller judges which). A fragment file that ends up named by no entry
   * is removed: it would otherwise stay until a restart's sweep.
   *
   * No row of regs is made here: a register gets its row, whole, at its
   * first lc (setLc). Made empty here as well, it put a second write of a
   * random regs page into every new key's PUT at each node (write calls a
   * 4 KiB PUT at a node: 20.6 with it, 18.7 without). Nothing reads regs
   * for a register that has no lc: listings take rows with one, and the
   * `registers` total counts registers with a completed write.
   */
  async putHist(reg: Buffer, rec: HistRecord, frag: { file: string } | { inline: Buffer }, refs?: readonly PartRef[]): Promise<PutHistResult> {
    const ts = rec.ts;
    let result: PutHistResult = { kind: 'stored' };
    await this.committer.run(() => {
      const missing = (refs ?? []).flatMap((r, i) => (this.stmts.histExists.get(regId(r.ns, r.key), r.ts.num, r.ts.writer, r.ts.op) ? [] : [i]));
      if (missing.length > 0) {
        result = { kind: 'missing-parts', missing };
        return;
      }
      // A fragment that compaction moved since the caller looked it up is recorded where it is now.
      const file = 'file' in frag ? this.whereNow(frag.file) : null;
      const inserted = this.stmts.putHist.run(
        reg, ts.num, ts.writer, ts.op, JSON.stringify(tsToWire(ts)),
        rec.nbar, rec.d, Buffer.concat(rec.vec), Buffer.concat(rec.cc), rec.meta, rec.blocks,
        rec.blockSize, rec.fragLen,
        file, 'inline' in frag ? frag.inline : null,
        refs ? JSON.stringify(refs.map((r) => ({ ns: r.ns, key: r.key, ts: tsToWire(r.ts) }))) : null,
      ).changes > 0;
      if (!inserted) {
        result = { kind: 'exists' };
        return;
      }
      // Inside the transaction, as the row is: a rollback drops the cache (constructor).
      this.histCache.set(histKey(reg.toString('hex'), ts), { ...rec, fragFile: file, fragInline: 'inline' in frag ? frag.inline : null });
      for (const r of refs ?? []) {
        this.stmts.addRef.run(regId(r.ns, r.key), r.ts.num, r.ts.writer, r.ts.op, reg, ts.num, ts.writer, ts.op);
      }
    });
    // (An appended fragment no row names is dead space in its segment, given back by compaction.)
    if (result.kind !== 'stored' && 'file' in frag && !parseLocation(frag.file) && !this.stmts.fileUsed.get(frag.file)) {
      await rm(this.fragPath(frag.file), { force: true });
    }
    return result;
  }

  /**
   * Garbage collection of one register (DESIGN §4): drops the history
   * entries below lc that no read pins and no other entry's value is made of
   * (multipart parts), then their fragment files. Never an entry at or above
   * lc (its complete may still be in flight); lc itself stays forever.
   * Returns how many entries went, how many stayed only because pinned, and
   * the part registers whose entries a dropped entry was made of (no longer
   * referenced by it, so perhaps garbage now).
   */
  async collect(reg: Buffer, pinned: (ts: Pick<Timestamp, 'num' | 'writer' | 'op'>) => boolean): Promise<Collected> {
    await this.settled(reg);
    // A first look, so that a register with nothing to drop costs no commit.
    const first = this.collectable(reg, pinned);
    if (first.doomed.length === 0) return { dropped: 0, pinned: first.held, released: [], segments: [] };
    // Decided again inside the transaction that drops (the op runs
    // synchronously in the flush): since the first look a read may have
    // pinned an entry (a filter that answered with it), or a store may have
    // made an object of it; that store's insert, queued before this op in
    // the same transaction, is seen here, and one queued after sees the
    // entry gone and refuses (putHist). Review finding 6.
    let doomed: CollectRow[] = [];
    let held = 0;
    const released = new Map<string, Buffer>();
    const id = reg.toString('hex');
    await this.committer.run(() => {
      ({ doomed, held } = this.collectable(reg, pinned));
      for (const r of doomed) {
        for (const p of this.stmts.partsOf.all(reg, r.num, r.writer, r.op) as Array<{ part_reg: Buffer }>) {
          released.set(p.part_reg.toString('hex'), p.part_reg);
        }
        this.stmts.dropHist.run(reg, r.num, r.writer, r.op);
        this.histCache.delete(histKey(id, r));
        this.stmts.dropRefs.run(reg, r.num, r.writer, r.op);
      }
    });
    // The rows are gone (durably) before their files: a crash in between
    // leaves orphan files, which the start-up sweep removes. A file another
    // entry still names (a write stored again under a new ts) stays.
    const gone = [...new Set(doomed.flatMap((r) => (r.frag_file ? [r.frag_file] : [])))];
    const files = gone.filter((f) => !parseLocation(f) && !this.stmts.fileUsed.get(f));
    await Promise.all(files.map((f) => rm(this.fragPath(f), { force: true })));
    // Segments are looked at by the caller (tidySegment), once for a batch of registers.
    const segments = [...new Set(gone.flatMap((f) => parseLocation(f)?.seg ?? []))];
    return { dropped: doomed.length, pinned: held, released: [...released.values()], segments };
  }

  /** The history entries of reg that may go now: below the committed lc, not pinned, not a part of another entry. */
  private collectable(reg: Buffer, pinned: (ts: Pick<Timestamp, 'num' | 'writer' | 'op'>) => boolean): { doomed: CollectRow[]; held: number } {
    const lc = this.committedLc(reg);
    if (!lc) return { doomed: [], held: 0 };
    const doomed: CollectRow[] = [];
    let held = 0;
    for (const r of this.stmts.histOf.all(reg) as CollectRow[]) {
      const ts = { num: r.num, writer: r.writer, op: r.op, epoch: 0, tag: EMPTY };
      if (compareTs(ts, lc.ts) >= 0) continue;
      if (pinned(ts)) {
        held++;
        continue;
      }
      if (this.stmts.isReferenced.get(reg, r.num, r.writer, r.op)) continue;
      doomed.push(r);
    }
    return { doomed, held };
  }

  /** Registers holding history below their lc (candidates for collection), for a start-up pass. */
  registersWithHistory(): Buffer[] {
    return (this.db.prepare('SELECT DISTINCT reg FROM hist').all() as Array<{ reg: Buffer }>).map((r) => r.reg);
  }

  fragPath(file: string): string {
    return join(this.dir, file);
  }

  /** A fragment's location after the moves compaction made lately (a move may have been moved again). */
  private whereNow(file: string): string {
    let at = file;
    for (let next = this.moved.get(at); next !== undefined; next = this.moved.get(at)) at = next;
    return at;
  }

  /** Where a fragment's bytes are: its own file, or a range of a segment. */
  fragAt(file: string): FragmentAt {
    const at = parseLocation(file);
    return at ? { path: join(this.dir, at.seg), offset: at.offset, seg: at.seg } : { path: join(this.dir, file), offset: 0, seg: null };
  }

  /**
   * A segment that lost fragments (collect) or may hold dead space (a
   * start): removed once no row names it, compacted once at most half of
   * it is live. Never a segment taking appends (or holding one whose row
   * may still come): false then, to be asked again later.
   */
  async tidySegment(seg: string): Promise<boolean> {
    const size = this.segments.all().get(seg);
    if (size === undefined || this.leaving.has(seg)) return true;
    if (this.segments.isActive(seg)) return false;
    const [lo, hi] = locationRange(seg);
    const frags = this.stmts.segmentFrags.all(lo, hi) as Array<{ frag_file: string; frag_len: number }>;
    const live = frags.reduce((n, f) => n + roundUp(f.frag_len, DIRECT_ALIGN), 0);
    if (frags.length > 0) {
      if (live * 2 > size) return true;
      await this.compact(seg, frags);
    }
    if (!this.stmts.segmentUsed.get(lo, hi)) this.removeSegmentLater(seg);
    return true;
  }

  /**
   * Copies the fragments still named in `seg` to the active segment (each
   * synced there) and points their rows at the copies, in one transaction.
   * A fragment dropped meanwhile is copied for nothing: its row is gone,
   * and the copy is dead space.
   */
  private async compact(seg: string, frags: ReadonlyArray<{ frag_file: string; frag_len: number }>): Promise<void> {
    const pool = this.directPool ?? COMPACTION_BUFFERS;
    const fh = await open(join(this.dir, seg), constants.O_RDONLY | (this.directPool ? constants.O_DIRECT : 0));
    const buf = pool.take();
    const moves: Array<[string, string]> = [];
    try {
      try {
        for (const f of frags) {
          const len = roundUp(f.frag_len, DIRECT_ALIGN);
          const { bytesRead } = await fh.read(buf, 0, len, parseLocation(f.frag_file)!.offset);
          // A segment cut short (a disk fault) loses those bytes either way; the copy is checked like any (a read verifies every block).
          buf.fill(0, bytesRead, len);
          moves.push([f.frag_file, await this.segments.append(buf.subarray(0, len))]);
        }
      } finally {
        pool.give(buf);
        await fh.close();
      }
      await this.committer.run(() => {
        for (const [from, to] of moves) {
          this.stmts.moveFrag.run(to, from);
          this.moved.set(from, to);
        }
      });
    } finally {
      // Recorded, or never to be (a failed read, append or commit leaves the copies as dead space).
      for (const [, to] of moves) this.segments.settle(to);
    }
    setTimeout(() => {
      for (const [from] of moves) this.moved.delete(from);
    }, MOVED_KEEP_MS).unref();
  }

  /**
   * Removes a segment no row names after LEAVING_MS: a read that looked its
   * fragment up just before the rows moved (or went) still opens it then.
   * A restart before that removes it in the sweep.
   */
  private removeSegmentLater(seg: string): void {
    this.leaving.add(seg);
    setTimeout(() => {
      this.leaving.delete(seg);
      const [lo, hi] = locationRange(seg);
      if (this.db.open && !this.stmts.segmentUsed.get(lo, hi)) void this.segments.remove(seg).catch(() => undefined);
    }, LEAVING_MS).unref();
  }

  /**
   * Registers of `ns` with an lc, keys in byte order: at or above `from`,
   * above `after` (exclusive), below `below` (exclusive; null for no bound).
   * Committed lc only: a listing is an answer, and must not reveal an lc
   * that a crash could still undo (review finding 10).
   */
  list(ns: string, from: Buffer, after: Buffer | null, below: Buffer | null, limit: number): ListRow[] {
    return [...this.listRows(ns, from, after, below, limit)];
  }

  /** list, one row at a time. */
  *listRows(ns: string, from: Buffer, after: Buffer | null, below: Buffer | null, limit: number): Generator<ListRow> {
    // One row at a time: a caller that stops early (a page full by bytes)
    // never loads the history (meta) of rows it does not use.
    const upper = below ?? ABOVE_ALL_KEYS;
    const rows = (after !== null && Buffer.compare(after, from) >= 0
      ? this.stmts.listAfter.iterate(ns, after, upper, limit)
      : this.stmts.listFrom.iterate(ns, from, upper, limit)) as IterableIterator<{ key: Buffer; lc: string; cc: Buffer | null; meta: Buffer | null }>;
    for (const r of rows) yield r.cc && r.meta ? { key: r.key, lcJson: r.lc, cc: r.cc, meta: r.meta } : { key: r.key, lcJson: r.lc };
  }

  counts(): { registers: number; histEntries: number } {
    return {
      registers: this.stmts.tally.get('registers') as number,
      histEntries: this.stmts.tally.get('hist') as number,
    };
  }

  /** Fragment bytes this node holds, and its disk's free and total bytes (for capacity: health and metrics). */
  capacity(): { bytes: number; diskFreeBytes: number; diskTotalBytes: number } {
    const fs = statfsSync(this.dir);
    return {
      bytes: this.stmts.tally.get('frag_bytes') as number,
      diskFreeBytes: fs.bavail * fs.bsize,
      diskTotalBytes: fs.blocks * fs.bsize,
    };
  }

  /**
   * Start-up sweep: staging holds only writes that never committed (a commit
   * moves its file out first), so all of it goes; a fragment file that no
   * history row names was installed by a store that crashed before its row
   * committed, and goes too.
   */
  private sweep(): void {
    rmSync(join(this.dir, 'staging'), { recursive: true, force: true });
    ownerOnlyDir(join(this.dir, 'staging'));
    const frags = join(this.dir, 'frags');
    for (const sub of FRAG_FOLDERS) ownerOnlyDir(join(frags, sub)); // made, or tightened (a store made before F8 had 0755 folders)
    syncDirSync(frags);
    syncDirSync(this.dir);
    for (const sub of readdirSync(frags)) {
      for (const f of readdirSync(join(frags, sub))) {
        const rel = join('frags', sub, f);
        if (!this.stmts.fileUsed.get(rel)) rmSync(join(frags, sub, f), { force: true });
      }
    }
    // A segment no row names holds only what stores that never committed appended.
    for (const seg of [...this.segments.all().keys()]) {
      const [lo, hi] = locationRange(seg);
      if (!this.stmts.segmentUsed.get(lo, hi)) this.segments.removeSync(seg);
    }
  }
}
