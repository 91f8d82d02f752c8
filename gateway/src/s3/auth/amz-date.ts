// Request timestamps: SigV4's basic ISO 8601 form and SigV2's HTTP dates.

/** S3 rejects header-signed requests whose time is further than this from the server's. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Longest lifetime of a presigned URL: SigV4's X-Amz-Expires per AWS (7 days); also SigV2's Expires here (sigv2.ts). */
export const MAX_PRESIGN_EXPIRES_S = 7 * 24 * 3600;

/** `20261125T191100Z` → epoch ms, or undefined if not exactly that form or not a real instant. */
export function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  const back = new Date(ms);
  // Reject rollovers such as month 13 or 31 February.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) {
    return undefined;
  }
  return ms;
}

/** Epoch ms → `20261125T191100Z`. */
export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * An HTTP date as SigV2 clients send it: RFC 7231 (`Wed, 25 Nov 2026 19:11:14 GMT`)
 * or RFC 822 with a numeric zone (`... +0000`, s3cmd). Undefined if unparseable.
 */
export function parseHttpDate(s: string): number | undefined {
  if (!/^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} (GMT|UTC|[+-]\d{4})$/.test(s.trim())) return undefined;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : undefined;
}
