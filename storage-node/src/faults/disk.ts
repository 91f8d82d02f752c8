// Fault modes about the node's disk: `stale` (a frozen store) and `amnesia`
// (an empty store at every start).

import { existsSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DiskStore, PutHistResult } from '../store/disk-store.js';

/**
 * stale: the store as it was when the process started, forever. Every write
 * (lc, Hist, fragment install) is acknowledged as done but keeps nothing,
 * so the handlers run unchanged and answer from the frozen view: store and
 * complete ack with the old lc, collect, clock, filter and list report old
 * state. (A multipart completion is refused as missing its parts: the parts
 * were never kept.) Switching the mode off heals the node: what it holds is
 * old but correct.
 */
export function frozenStore(store: DiskStore): DiskStore {
  const writes: Partial<Record<keyof DiskStore, unknown>> = {
    setLc: async (): Promise<void> => undefined,
    putHist: async (): Promise<PutHistResult> => ({ kind: 'stored' }),
    // The fsync'd staging file is thrown away instead of installed.
    installFragment: async (staging: string): Promise<string> => {
      await rm(staging, { force: true });
      return join('frags', 'stale-mode-kept-nothing');
    },
  };
  return new Proxy(store, {
    get(target, prop) {
      if (typeof prop === 'string' && prop in writes) return writes[prop as keyof DiskStore];
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** amnesia: empties the data folder but for the names in `keep` (called before the store opens, at every start). */
export function forgetEverything(dataDir: string, keep: readonly string[]): void {
  if (!existsSync(dataDir)) return;
  for (const name of readdirSync(dataDir)) {
    if (!keep.includes(name)) rmSync(join(dataDir, name), { recursive: true, force: true });
  }
}
