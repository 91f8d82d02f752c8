// Authentication of one protocol request from its head (security review F4):
// a node spends nothing on a body before it knows a gateway sent it. The
// request MAC covers the body's SHA-256 as the sender claims it in
// x-ps-body-sha256, so the MAC is checked before the body is read; the body
// is then read (bounded in bytes and time) and its real hash compared with
// the claimed one. A Content-Length above the route's limit is refused from
// the head too. Every failure is a 401 whose reason only the node's debug
// log states (server.ts renders it as one "unauthenticated" body).

import { hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BodyTooLargeError, readLimited } from '@powerstore/shared/http-body.js';
import { AUTH_HEADER, BODY_HASH_HEADER, type RequestVerifier } from '@powerstore/shared/node-auth.js';
import { NodeRequestError, type NodeContext } from './node-context.js';

function header(req: IncomingMessage, name: string): string | undefined {
  const h = req.headers[name];
  return Array.isArray(h) ? h[0] : h;
}

/** Throws a 401 unless the head carries a valid MAC for `route` over `bodyHash`. */
export function authenticate(ctx: NodeContext, verifier: RequestVerifier, req: IncomingMessage, route: string, bodyHash: string): void {
  const v = verifier.verify(header(req, AUTH_HEADER), 'POST', route, bodyHash);
  if (!v.ok) {
    ctx.metrics.authFailures.inc();
    throw new NodeRequestError(401, 'unauthenticated', v.reason);
  }
}

/** A 413 at once when the announced body is larger than the route takes (nothing of it is read). */
export function refuseOversized(req: IncomingMessage, limit: number): void {
  const cl = req.headers['content-length'];
  if (cl !== undefined && Number(cl) > limit) throw new BodyTooLargeError(`body of ${cl} bytes, more than ${limit}`);
}

/**
 * The body of a request with a fully hashed body (every route but the
 * streamed store): authenticated from the head, then read, at most `limit`
 * bytes within `deadlineMs` (the socket is destroyed after that), then
 * checked against the hash the MAC covered.
 */
export async function readSignedBody(
  ctx: NodeContext, verifier: RequestVerifier, req: IncomingMessage, route: string, limit: number, deadlineMs: number,
): Promise<Buffer> {
  refuseOversized(req, limit);
  const claimed = header(req, BODY_HASH_HEADER) ?? '';
  if (!/^[0-9a-f]{64}$/.test(claimed)) {
    ctx.metrics.authFailures.inc();
    throw new NodeRequestError(401, 'unauthenticated', 'missing or malformed body hash');
  }
  authenticate(ctx, verifier, req, route, claimed);
  const timer = setTimeout(() => req.destroy(new NodeRequestError(408, 'body-timeout')), deadlineMs);
  let body: Buffer;
  try {
    body = await readLimited(req as AsyncIterable<Buffer>, limit);
  } finally {
    clearTimeout(timer);
  }
  if (hash('sha256', body, 'hex') !== claimed) {
    ctx.metrics.authFailures.inc();
    throw new NodeRequestError(401, 'unauthenticated', 'body does not match its signed hash');
  }
  return body;
}
