// The admin endpoints' credential (review F11): `Authorization: Bearer
// <admin token>` (what Prometheus sends with `authorization: {credentials}`
// or `bearer_token_file`). Compared in constant time: both sides are hashed
// first, so neither the content nor the length of the token leaks through
// timing.

import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Whether an Authorization header carries the admin token; never true without a configured token. */
export function isAdmin(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined || authorization === undefined) return false;
  const m = /^Bearer +(\S+) *$/i.exec(authorization);
  const given = m?.[1] ?? '';
  // Always one comparison, whatever was sent.
  return timingSafeEqual(digest(given), digest(token)) && given !== '';
}
