// Waiting in tests for something another process or a timer brings about,
// without a fixed sleep: a sleep long enough on a loaded CI machine is slow
// everywhere else, and one short enough here fails there.

/** Resolves once `cond` holds; fails naming `what` if it does not within `withinMs`, checking every `everyMs`. */
export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  withinMs = 20_000,
  everyMs = 100,
): Promise<void> {
  const end = Date.now() + withinMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
