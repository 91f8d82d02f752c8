// The admin endpoints' credential (review F11): `Authorization: Bearer
// <admin token>` (what Prometheus sends with `authorization: {credentials}`
// or `bearer_token_file`). Compared in constant time: both sides are hashed
// first, so neither the content nor the length of the token leaks through
// timing.

import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Whether an Authorization header carries the admin token; never true
 * without a configured token. `Bearer <token>` (scrapers, curl), or HTTP
 * Basic with the token as the password and any user name: what a browser
 * sends for the status page after asking once.
 */
export function isAdmin(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined || authorization === undefined) return false;
  const bearer = /^Bearer +(\S+) *$/i.exec(authorization);
  const basic = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(authorization);
  const decoded = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8') : '';
  const given = bearer?.[1] ?? (decoded.includes(':') ? decoded.slice(decoded.indexOf(':') + 1) : '');
  // Always one comparison, whatever was sent.
  return timingSafeEqual(digest(given), digest(token)) && given !== '';
}
