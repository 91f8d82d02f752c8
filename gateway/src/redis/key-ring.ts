// The writers' key ring kept in Redis (DESIGN §2, §3 "Key epochs", §10), and
// its sync into the gateway's in-memory MutableWriterKeyring (the
// WriterKeyring the protocol uses).
//
// Contracts:
// - Redis holds each epoch's cluster secret sealed under the KEK (sealed.ts,
//   schema.ts): reading Redis reveals no secret.
// - At start, if the ring in Redis has entries and none opens under our KEK,
//   the gateway refuses to start with WRONG_KEK (one line). If some open and
//   some do not, the others were tampered with: they are ignored and logged.
// - A secret in Redis that differs from the config file's for the same epoch
//   refuses the start (two clusters' key material), and is ignored at run time.
// - Epochs are only added, never removed, both in memory and in Redis; the
//   current epoch only moves forward, and only to an epoch held in memory.
//   So a stale, flushed or lying Redis can at worst keep a gateway writing
//   under an older (still valid) epoch: it can never make one forget a key.
// - Every KEYRING_POLL_MS the gateway reads the ring: new epochs are added
//   (verification of candidates written under them works from then on), a
//   newer `current` is adopted, and anything it holds that Redis lacks
//   (Redis restarted empty) is put back with HSETNX, so other gateways can
//   load it. A key of an unknown, newer epoch asked for by the protocol
//   triggers an immediate read (at most one per second).
// - Only the admin CLI (rotate.ts) raises `current`; a gateway only sets it
//   when it is missing (HSETNX).

import { ConfigError } from '@powerstore/shared/errors.js';
import { KeyConflictError, MutableWriterKeyring, SECRET_BYTES } from '@powerstore/shared/keys.js';
import type { Logger } from '@powerstore/shared/log.js';
import type { RedisLink } from './link.js';
import { CURRENT_FIELD, EPOCH_FIELD, KEYRING_POLL_MS, type RedisKeys } from './schema.js';
import { open, ringKey, seal, SealError } from './sealed.js';

export const WRONG_KEK = 'the key-encryption key does not open the key ring in Redis';

export interface RingSnapshot {
  readonly secrets: ReadonlyMap<number, Buffer>;
  /** The sealed `current` field, opened; null when absent or not opening. */
  readonly current: number | null;
  /** Fields that did not open (tampered, or another KEK). */
  readonly unopened: readonly string[];
}

/**
 * Reads and opens the ring. Throws ConfigError(WRONG_KEK) when the ring has
 * entries and not one opens; Redis errors propagate.
 */
export async function readRing(link: RedisLink, rk: RedisKeys, aes: Buffer): Promise<RingSnapshot> {
  const all = await link.run('keyring-read', (c) => c.hgetall(rk.keyring));
  const secrets = new Map<number, Buffer>();
  const unopened: string[] = [];
  let current: number | null = null;
  let entries = 0;
  for (const [field, text] of Object.entries(all)) {
    const m = /^epoch:(\d{1,10})$/.exec(field);
    if (!m && field !== CURRENT_FIELD) continue;
    entries++;
    try {
      const plain = open(aes, field, text);
      if (m) {
        if (plain.length !== SECRET_BYTES) throw new SealError(`${field}: not a secret`);
        secrets.set(Number(m[1]), plain);
      } else {
        const n = Number(plain.toString('utf8'));
        if (!/^\d{1,10}$/.test(plain.toString('utf8'))) throw new SealError('current: not an epoch');
        current = n;
      }
    } catch (e) {
      if (!(e instanceof SealError)) throw e;
      unopened.push(field);
    }
  }
  if (entries > 0 && unopened.length === entries) throw new ConfigError(WRONG_KEK);
  return { secrets, current, unopened };
}

/** Puts every epoch of `ring` that Redis lacks (HSETNX), and `current` if missing. */
export async function seedRing(link: RedisLink, rk: RedisKeys, aes: Buffer, ring: MutableWriterKeyring, have: RingSnapshot): Promise<number> {
  let put = 0;
  for (const e of ring.epochs) {
    if (have.secrets.has(e)) continue;
    const f = EPOCH_FIELD(e);
    put += await link.run('keyring-seed', (c) => c.hsetnx(rk.keyring, f, seal(aes, f, ring.secret(e)!)));
  }
  if (have.current === null) {
    put += await link.run('keyring-seed', (c) => c.hsetnx(rk.keyring, CURRENT_FIELD, seal(aes, CURRENT_FIELD, Buffer.from(String(ring.currentEpoch)))));
  }
  return put;
}

export interface KeyRingSyncOptions {
  readonly link: RedisLink;
  readonly rk: RedisKeys;
  readonly kek: Buffer;
  readonly secrets: ReadonlyMap<number, Buffer>;
  readonly currentEpoch: number;
  readonly log: Logger;
  /** Called after the held epochs or the current epoch changed. */
  readonly onChange?: (ring: MutableWriterKeyring) => void;
  readonly onUnknownEpoch?: (epoch: number) => void;
}

/** A MutableWriterKeyring kept in step with Redis (see the contracts above). */
export class RedisKeyRing {
  readonly ring: MutableWriterKeyring;
  private readonly aes: Buffer;
  private timer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;
  private lastUnknownSync = 0;
  private lastWarn = 0;
  /** A Redis ring that does not open (KEK changed under a running gateway): status degraded. */
  kekProblem: string | null = null;

  private constructor(private readonly o: KeyRingSyncOptions) {
    this.aes = ringKey(o.kek);
    this.ring = new MutableWriterKeyring(o.secrets, o.currentEpoch);
    this.ring.onUnknownEpoch = (epoch) => {
      o.onUnknownEpoch?.(epoch);
      const now = Date.now();
      if (now - this.lastUnknownSync < 1000) return;
      this.lastUnknownSync = now;
      void this.sync();
    };
  }

  /**
   * The ring from the config's secrets merged with Redis's. With Redis up,
   * a wrong KEK or conflicting secrets refuse the start (ConfigError);
   * with Redis down, the config's secrets serve and the sync catches up later.
   */
  static async open(o: KeyRingSyncOptions): Promise<RedisKeyRing> {
    const r = new RedisKeyRing(o);
    if (o.link.ready) {
      let snap: RingSnapshot;
      try {
        snap = await readRing(o.link, o.rk, r.aes);
      } catch (e) {
        if (e instanceof ConfigError) throw e;
        o.log.warn({ err: (e as Error).message }, 'cannot read the key ring from Redis: starting with the config file\'s keys');
        return r;
      }
      try {
        r.merge(snap);
      } catch (e) {
        if (e instanceof KeyConflictError) {
          throw new ConfigError(`the key ring in Redis holds a different secret for epoch ${e.epoch} than the config file (another cluster's Redis? give each cluster its own Redis or key prefix)`);
        }
        throw e;
      }
      await seedRing(o.link, o.rk, r.aes, r.ring, snap).catch(() => 0);
    }
    return r;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.sync(), KEYRING_POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One read-merge-reseed pass; never throws. Concurrent calls share one pass. */
  sync(): Promise<void> {
    if (this.syncing) return this.syncing;
    this.syncing = this.syncOnce().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    if (!this.o.link.ready) return;
    let snap: RingSnapshot;
    try {
      snap = await readRing(this.o.link, this.o.rk, this.aes);
      this.kekProblem = null;
    } catch (e) {
      if (e instanceof ConfigError) {
        this.kekProblem = e.message;
        this.warn(e.message);
      }
      return;
    }
    if (snap.unopened.length > 0) this.warn(`key ring entries in Redis that do not open (tampered?): ${snap.unopened.join(', ')}`);
    try {
      this.merge(snap);
    } catch (e) {
      this.warn((e as Error).message);
    }
    try {
      const put = await seedRing(this.o.link, this.o.rk, this.aes, this.ring, snap);
      if (put > 0) this.o.log.info({ entries: put }, 'key ring re-seeded into Redis');
    } catch {
      /* counted by the link */
    }
  }

  /** Adds Redis's epochs and adopts its current epoch; throws KeyConflictError on the first conflict. */
  private merge(snap: RingSnapshot): void {
    let changed = false;
    let conflict: KeyConflictError | null = null;
    for (const [e, s] of [...snap.secrets].sort((a, b) => a[0] - b[0])) {
      try {
        if (this.ring.add(e, s)) {
          changed = true;
          this.o.log.info({ epoch: e }, 'key epoch loaded from Redis');
        }
      } catch (err) {
        if (!(err instanceof KeyConflictError)) throw err;
        conflict ??= err;
      }
    }
    if (snap.current !== null && this.ring.advance(snap.current)) {
      changed = true;
      this.o.log.info({ epoch: snap.current }, 'new writes now use key epoch');
    }
    if (changed) this.o.onChange?.(this.ring);
    if (conflict) throw conflict;
  }

  private warn(msg: string): void {
    const now = Date.now();
    if (now - this.lastWarn < 60_000) return;
    this.lastWarn = now;
    this.o.log.error(msg);
  }
}
