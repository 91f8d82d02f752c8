// The node database's tables, and what opening a store made by an older
// version does to them (in one transaction each, before anything else runs).

import type Database from 'better-sqlite3';

const FORMAT = 'powerstore-node-v1';

/**
 * Hist is an ordinary (rowid) table whose primary key SQLite keeps as a
 * separate index. It was a WITHOUT ROWID table, whose b-tree holds the whole
 * row at every key: rows with a fragment inline are larger than such a
 * b-tree keeps in a page (about 1,000 bytes at 4 KiB pages), and a seek
 * compares its key with several cells, loading each one's overflow pages
 * to do so (about 24 reads from the file per 4 KiB PUT at each node). With
 * 100,000 entries of 2 KiB inline fragments a lookup took 50-59 µs that
 * way and 15-22 µs now, an insert 88-90 µs and 57-63 µs.
 */
const HIST_TABLE = `
CREATE TABLE IF NOT EXISTS hist (
  reg BLOB NOT NULL,
  num INTEGER NOT NULL,
  writer TEXT NOT NULL,
  op INTEGER NOT NULL,
  ts TEXT NOT NULL,
  nbar BLOB NOT NULL,
  d BLOB NOT NULL,
  vec BLOB NOT NULL,
  cc BLOB NOT NULL,
  meta BLOB NOT NULL,
  blocks BLOB NOT NULL,
  block_size INTEGER NOT NULL,
  frag_len INTEGER NOT NULL,
  frag_file TEXT,
  frag_inline BLOB,
  refs TEXT,
  PRIMARY KEY (reg, num, writer, op)
);
`;
const HIST_BY_FILE = 'CREATE INDEX IF NOT EXISTS hist_by_file ON hist (frag_file) WHERE frag_file IS NOT NULL;';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS regs (
  reg BLOB PRIMARY KEY,
  ns TEXT NOT NULL,
  key BLOB NOT NULL,
  lc TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS regs_by_key ON regs (ns, key);
${HIST_TABLE}
${HIST_BY_FILE}
CREATE TABLE IF NOT EXISTS part_refs (
  part_reg BLOB NOT NULL,
  part_num INTEGER NOT NULL,
  part_writer TEXT NOT NULL,
  part_op INTEGER NOT NULL,
  owner_reg BLOB NOT NULL,
  owner_num INTEGER NOT NULL,
  owner_writer TEXT NOT NULL,
  owner_op INTEGER NOT NULL,
  PRIMARY KEY (part_reg, part_num, part_writer, part_op, owner_reg, owner_num, owner_writer, owner_op)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS part_refs_by_owner ON part_refs (owner_reg, owner_num, owner_writer, owner_op);
CREATE TABLE IF NOT EXISTS info (name TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** The totals' triggers on hist (see TALLIES). */
const HIST_TALLY_TRIGGERS = `
CREATE TRIGGER tally_hist_insert AFTER INSERT ON hist BEGIN
  UPDATE tallies SET n = n + 1 WHERE name = 'hist';
  UPDATE tallies SET n = n + NEW.frag_len WHERE name = 'frag_bytes' AND (NEW.frag_file IS NULL OR NOT EXISTS (
    SELECT 1 FROM hist WHERE frag_file = NEW.frag_file
      AND NOT (reg = NEW.reg AND num = NEW.num AND writer = NEW.writer AND op = NEW.op)));
END;
CREATE TRIGGER tally_hist_delete AFTER DELETE ON hist BEGIN
  UPDATE tallies SET n = n - 1 WHERE name = 'hist';
  UPDATE tallies SET n = n - OLD.frag_len WHERE name = 'frag_bytes' AND (OLD.frag_file IS NULL OR NOT EXISTS (
    SELECT 1 FROM hist WHERE frag_file = OLD.frag_file));
END;
`;

/**
 * Running totals for health and capacity (registers, history entries,
 * fragment bytes), kept by triggers inside the transactions that change the
 * rows they count, so they are exact and cost a row update per change.
 * Counting instead read the whole hist table (a gigabyte at 160,000 objects,
 * fragments inline) on every health check, every 5 s from each gateway: the
 * node's event loop went to seconds-long scans, health checks timed out and
 * writes slowed fivefold as the store grew (issue 11, growth). Made on first
 * open of a store that lacks them, from one count of what it holds. Entries
 * that share a fragment file hold the same fragment (a write stored again
 * under a new ts), so the file's bytes count once, with the first entry
 * naming it and until the last is gone.
 */
const TALLIES = `
CREATE TABLE tallies (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO tallies (name, n) VALUES
  ('registers', (SELECT count(*) FROM regs)),
  ('hist', (SELECT count(*) FROM hist)),
  ('frag_bytes', (SELECT coalesce(sum(frag_len), 0) FROM hist WHERE frag_file IS NULL) +
    (SELECT coalesce(sum(len), 0) FROM (SELECT max(frag_len) AS len FROM hist WHERE frag_file IS NOT NULL GROUP BY frag_file)));
CREATE TRIGGER tally_regs_insert AFTER INSERT ON regs BEGIN
  UPDATE tallies SET n = n + 1 WHERE name = 'registers';
END;
CREATE TRIGGER tally_regs_delete AFTER DELETE ON regs BEGIN
  UPDATE tallies SET n = n - 1 WHERE name = 'registers';
END;
${HIST_TALLY_TRIGGERS}
`;

/**
 * A store's hist as a WITHOUT ROWID table (made before 2026-12-06) becomes
 * a rowid table with the same rows: renamed, copied, dropped (its index and
 * triggers with it), its index made again; the caller makes the triggers
 * again, after the copy, so the rows copied are not counted twice.
 */
const HIST_TO_ROWID = `
ALTER TABLE hist RENAME TO hist_without_rowid;
${HIST_TABLE}
INSERT INTO hist (reg, num, writer, op, ts, nbar, d, vec, cc, meta, blocks, block_size, frag_len, frag_file, frag_inline, refs)
  SELECT reg, num, writer, op, ts, nbar, d, vec, cc, meta, blocks, block_size, frag_len, frag_file, frag_inline, refs FROM hist_without_rowid;
DROP TABLE hist_without_rowid;
${HIST_BY_FILE}
`;

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Creates the tables of a new store, or brings an older store's up to date; refuses a store of another format. */
export function prepareSchema(db: Database.Database, dir: string): void {
  db.exec(SCHEMA);
  const fmt = db.prepare('SELECT value FROM info WHERE name = ?').get('format') as { value: string } | undefined;
  if (!fmt) db.prepare('INSERT INTO info (name, value) VALUES (?, ?)').run('format', FORMAT);
  else if (fmt.value !== FORMAT) throw new Error(`data folder ${dir} holds format ${fmt.value}, expected ${FORMAT}`);
  db.transaction(() => {
    const histSql = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'hist'").pluck().get() as string;
    const migrate = /WITHOUT\s+ROWID/i.test(histSql);
    if (migrate) db.exec(HIST_TO_ROWID);
    if (!hasTable(db, 'tallies')) db.exec(TALLIES);
    else if (migrate) db.exec(HIST_TALLY_TRIGGERS);
  })();
}
