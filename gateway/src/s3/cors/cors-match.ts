// How S3 evaluates a cross-origin request against a bucket's CORS rules
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html): the
// first rule whose AllowedOrigin matches the Origin, whose AllowedMethod
// holds the method (Access-Control-Request-Method when the request has it,
// its own method otherwise), and whose AllowedHeaders cover every name in
// Access-Control-Request-Headers. Then the headers S3 answers with, as
// recorded against it: the origin echoed with Access-Control-Allow-Credentials
// (or '*', without credentials, when the rule allows every origin), the
// rule's methods, the requested headers lower-cased, the rule's
// ExposeHeaders and MaxAgeSeconds, and Vary. Pure: no I/O.

import type { CorsRule } from '../../object-meta.js';

export interface CorsAsk {
  readonly origin: string;
  /** The method the request is for: Access-Control-Request-Method, or the request's own. */
  readonly method: string;
  /** Access-Control-Request-Headers, lower-cased, without empty items. */
  readonly headers: readonly string[];
}

/** What S3 sends in Vary with every CORS answer. */
export const CORS_VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';

/**
 * `pattern` with at most one '*', which stands for any run of characters,
 * the empty one included (s3-tests: `start*end` matches `startend`);
 * anchored at both ends. Case-sensitive unless `fold`.
 */
export function wildcardMatch(pattern: string, value: string, fold = false): boolean {
  const p = fold ? pattern.toLowerCase() : pattern;
  const v = fold ? value.toLowerCase() : value;
  const star = p.indexOf('*');
  if (star < 0) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

/** Access-Control-Request-Headers as a list of lower-case names. */
export function requestedHeaders(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
}

function ruleMatches(rule: CorsRule, ask: CorsAsk): boolean {
  return rule.allowedMethods.includes(ask.method)
    && rule.allowedOrigins.some((o) => wildcardMatch(o, ask.origin))
    && ask.headers.every((h) => rule.allowedHeaders.some((a) => wildcardMatch(a, h, true)));
}

/** The first rule that allows the request, as S3 evaluates them. */
export function matchRule(rules: readonly CorsRule[], ask: CorsAsk): CorsRule | undefined {
  return rules.find((r) => ruleMatches(r, ask));
}

/** The Access-Control-* headers (and Vary) S3 answers a request `rule` allowed with. */
export function allowHeaders(rule: CorsRule, ask: CorsAsk): Record<string, string> {
  const anyOrigin = rule.allowedOrigins.includes('*');
  const h: Record<string, string> = {
    'access-control-allow-origin': anyOrigin ? '*' : ask.origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    vary: CORS_VARY,
  };
  if (!anyOrigin) h['access-control-allow-credentials'] = 'true';
  if (ask.headers.length > 0) h['access-control-allow-headers'] = ask.headers.join(', ');
  if (rule.exposeHeaders.length > 0) h['access-control-expose-headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) h['access-control-max-age'] = String(rule.maxAgeSeconds);
  return h;
}
