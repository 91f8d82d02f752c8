// list-lie: the three ways a node lies about a listing page (DESIGN §8). The
// node rotates among them per list request (invent, hide, stale, invent, …),
// so each is exercised and a gateway cannot learn one fixed pattern.
// - invent: adds an entry for a key that does not exist, right after the
//   first real one, copying its candidate. The candidate is authentic but for
//   another register (reg is the hash of bucket and key), so a gateway must
//   reject the page as evidence.
// - hide: drops every other entry (the 2nd, 4th, …) and keeps `truncated`.
//   On a last page that is undetectable (the other q−1 pages show the keys);
//   on a full page that claims more it makes a short page claiming more,
//   which is evidence.
// - stale: drops cc and meta from every entry, as a node that lost its
//   history would (undetectable: the gateway reads those keys the normal way).

import type { ListWire } from './answers.js';

export const LIST_LIES = ['invent', 'hide', 'stale'] as const;
export type ListLie = (typeof LIST_LIES)[number];

export function lieAboutPage(page: ListWire, how: ListLie, limit: number): ListWire {
  switch (how) {
    case 'invent': {
      const first = page.entries[0];
      if (!first) return page;
      // key + NUL is the very next string in byte order: no real key can lie
      // between the two, so the page stays in order and inside the prefix and
      // marker, and the only thing wrong with it is the invented key.
      const fake = { ...first, key: `${first.key}\u0000` };
      return { entries: [first, fake, ...page.entries.slice(1)].slice(0, limit), truncated: page.truncated };
    }
    case 'hide':
      return { entries: page.entries.filter((_, i) => i % 2 === 0), truncated: page.truncated };
    case 'stale':
      return { entries: page.entries.map((e) => ({ key: e.key, lc: e.lc })), truncated: page.truncated };
  }
}
