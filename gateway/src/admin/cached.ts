// One result shared by every caller for `ttlMs` after it settles, and one
// computation in flight at a time (review F11: each health report asks every
// node, so a flood of health requests must not become a flood of node RPCs).

export function cachedFor<T>(ttlMs: number, compute: () => Promise<T>, now: () => number = Date.now): () => Promise<T> {
  let current: { value: Promise<T>; until: number } | null = null;
  return () => {
    if (current && now() < current.until) return current.value;
    const entry = { value: compute(), until: Number.POSITIVE_INFINITY };
    current = entry;
    // Fresh for ttlMs from when it settles; a failure is not kept.
    entry.value.then(() => { entry.until = now() + ttlMs; }, () => { if (current === entry) current = null; });
    return entry.value;
  };
}
