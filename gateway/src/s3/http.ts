// The S3 edge: request id, routing, authentication, dispatch, and the one
// place responses and errors are written. A failure before the first
// response byte becomes the S3 XML error; a failure after it (a body that
// could not be restored mid-stream) aborts the connection, so partial data
// is never passed off as whole.

import { randomBytesPooled, randomHex } from '@powerstore/shared/random.js';
import { setMaxListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { anonymousAuth, authenticate, isAnonymous } from './auth/authenticate.js';
import type { AuthResult } from './auth/types.js';
import type { CredentialStore } from './auth/credentials.js';
import type { RequestBody, S3Context, S3Request, S3Response } from './context.js';
import { allowCrossOrigin } from './cors/cors-requests.js';
import { dispatch } from './dispatch.js';
import { toS3Error, isServerFault } from './error-map.js';
import type { Endpoint } from './endpoints.js';
import { S3Error } from './errors.js';
import { route } from './router.js';
import { renderError } from './xml-error.js';
import type { GatewayMetrics } from '../metrics.js';

export interface EdgeDeps {
  readonly creds: CredentialStore;
  readonly now: () => number;
  readonly metrics: GatewayMetrics;
  /** The body layer: a verified stream for this request under its authentication. */
  readonly openBody: (req: IncomingMessage, auth: AuthResult, maxBytes: number, objectChecksums: boolean) => RequestBody;
}

export function newRequestId(): string {
  return randomHex(8).toUpperCase();
}

function opName(e: Endpoint | null): string {
  if (!e) return 'unrouted';
  return e.op === 'Unsupported' ? 'Unsupported' : e.op;
}

export async function handleS3(s3: S3Context, deps: EdgeDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = process.hrtime.bigint();
  const id = newRequestId();
  res.setHeader('x-amz-request-id', id);
  res.setHeader('x-amz-id-2', randomBytesPooled(24).toString('base64'));
  res.setHeader('server', 'PoWerStore');
  const ac = new AbortController();
  // Every node call of every round listens on this one signal.
  setMaxListeners(0, ac.signal);
  const onClose = (): void => {
    if (!res.writableFinished) ac.abort(new Error('client went away'));
  };
  res.once('close', onClose);
  let endpoint: Endpoint | null = null;
  let resource = req.url ?? '/';
  let user = '';
  let errorCode: string | undefined;

  try {
    const rawUrl = req.url ?? '/';
    resource = rawUrl.split('?')[0] ?? '/';
    const routed = route(
      { method: req.method ?? 'GET', host: req.headers.host, rawUrl, copySource: req.headers['x-amz-copy-source'] !== undefined },
      { ...(s3.config.domain ? { domain: s3.config.domain } : {}) },
    );
    endpoint = routed.endpoint;
    const e = endpoint;
    await allowCrossOrigin(s3, req, res, e, ac.signal);
    // A browser form upload (PostObject) carries its credentials and signed
    // policy in the form itself: its handler authenticates it. A CORS
    // preflight (OptionsObject) carries none, and is answered from the
    // bucket's rules alone. Every other request is authenticated here,
    // before any handler runs; one without any credentials is anonymous
    // (user ''), and the ACLs and the bucket policy decide (dispatch.ts).
    const authReq = { method: req.method ?? 'GET', rawUrl, headers: req.headers };
    const auth: AuthResult = e.op === 'PostObject' || e.op === 'OptionsObject'
      ? { accessKey: '', user: '', scheme: 'v4-header', payload: { kind: 'unsigned' } }
      : isAnonymous(authReq) ? anonymousAuth(authReq) : authenticate(
        authReq,
        {
          creds: deps.creds, region: s3.config.region, now: deps.now,
          ...('bucket' in e && e.bucket !== undefined ? { bucket: e.bucket } : {}),
          ...('key' in e && e.key !== undefined ? { key: e.key } : {}),
        },
      );
    user = auth.user;
    let body: RequestBody | null = null;
    const r: S3Request = {
      id, endpoint: e, method: req.method ?? 'GET', headers: req.headers, raw: req,
      principal: { accessKey: auth.accessKey, user: auth.user, ...(auth.scope ? { scope: auth.scope } : {}) }, signal: ac.signal,
      // A Complete's x-amz-checksum-* is the whole object's (its handler checks it), not the XML body's.
      body: () => (body ??= deps.openBody(req, auth, s3.config.maxObjectBytes, e.op === 'CompleteMultipartUpload')),
    };
    const resp = await dispatch(s3, r);
    await send(res, resp, req.method === 'HEAD');
  } catch (err) {
    const e = toS3Error(err);
    // A client that hung up is not the gateway's fault: one debug line, no stack.
    errorCode = e.code;
    if (ac.signal.aborted) s3.log.debug({ requestId: id, op: opName(endpoint) }, 'client went away');
    // A request for what this gateway does not do is the client's choice, not a fault: no stack.
    else if (e.code === 'NotImplemented') s3.log.info({ requestId: id, op: opName(endpoint), detail: e.message }, 'not implemented');
    else if (isServerFault(e)) s3.log.error({ err, requestId: id, op: opName(endpoint) }, 'request failed');
    else s3.log.debug({ requestId: id, code: e.code, msg: e.message }, 'request refused');
    if (res.headersSent) {
      res.destroy();
    } else {
      sendError(res, e, resource, id, req.method === 'HEAD', !req.complete && hasBody(req));
    }
  } finally {
    res.off('close', onClose);
    const op = opName(endpoint);
    deps.metrics.requests.inc({ op, status: String(res.statusCode) });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    deps.metrics.latency.observe({ op }, seconds);
    deps.metrics.recent.record(seconds * 1000, res.statusCode);
    accessLine(s3, {
      requestId: id, user, method: req.method ?? '', op,
      bucket: endpoint && 'bucket' in endpoint ? endpoint.bucket : undefined,
      key: endpoint && 'key' in endpoint ? endpoint.key : undefined,
      status: res.statusCode,
      ...wireBytes(req),
      ms: Math.round(seconds * 10_000) / 10, code: errorCode,
    });
  }
}

interface AccessLine {
  readonly requestId: string;
  /** The authenticated user ('' when anonymous or refused before authentication). */
  readonly user: string;
  readonly method: string;
  readonly op: string;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly status: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly ms: number;
  /** The S3 error code of a refused or failed request. */
  readonly code: string | undefined;
}

// Where each connection's byte counters stood when its previous request ended.
const counted = new WeakMap<IncomingMessage['socket'], { read: number; written: number }>();

/**
 * Bytes on the wire for this request, head included: what the connection
 * read and wrote since its previous request ended (HTTP/1.1 answers one
 * request at a time per connection; the parser may have read a body before
 * the handler runs, so a count taken at its start would miss it).
 */
function wireBytes(req: IncomingMessage): { bytesIn: number; bytesOut: number } {
  const sock = req.socket;
  const last = counted.get(sock) ?? { read: 0, written: 0 };
  const now = { read: sock.bytesRead, written: sock.bytesWritten };
  counted.set(sock, now);
  return { bytesIn: now.read - last.read, bytesOut: now.written - last.written };
}

/** The access log: one info line per request (operations review §3: none before). */
function accessLine(s3: S3Context, a: AccessLine): void {
  s3.log.info({ access: true, ...a }, 'request');
}

/**
 * Resolves when `res` drains; rejects when it closes first (a client gone
 * while the socket is full never drains). In place of events.once with the
 * request's signal, which made a promise, four listeners (drain, error,
 * abort and the abort's disposer) and their closures for every full write:
 * 20 KiB a 1 MiB GET (V8's sampling heap profiler).
 */
export function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      res.off('drain', onDrain).off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      res.off('drain', onDrain).off('close', onClose);
      reject(new Error('client went away'));
    };
    res.on('drain', onDrain).on('close', onClose);
  });
}

async function send(res: ServerResponse, r: S3Response, head: boolean): Promise<void> {
  const headers: Record<string, string | number> = { ...(r.headers ?? {}) };
  const body = r.body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    headers['content-length'] ??= buf.length;
    res.writeHead(r.status, headers);
    res.end(head ? undefined : buf);
    return;
  }
  if (body === undefined) {
    headers['content-length'] ??= 0;
    res.writeHead(r.status, headers);
    res.end();
    return;
  }
  try {
    res.writeHead(r.status, headers);
  } catch (e) {
    // A body never iterated must still be closed: it may hold read pins.
    await body[Symbol.asyncIterator]().return?.();
    throw e;
  }
  await writeBody(res, body);
}

/** Writes `body` out and ends `res`, waiting for the socket to drain whenever it is full. */
export async function writeBody(res: ServerResponse, body: AsyncIterable<Buffer>): Promise<void> {
  for await (const chunk of body) {
    if (res.destroyed) throw new Error('client went away');
    if (!res.write(chunk)) await drained(res);
  }
  res.end();
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

function sendError(res: ServerResponse, e: S3Error, resource: string, id: string, head: boolean, bodyUnread: boolean): void {
  const headers: Record<string, string | number> = { ...e.headers };
  // A request body we did not read would be parsed as the next request.
  if (bodyUnread) headers.connection = 'close';
  if (e.status === 304 || head) {
    headers['content-length'] = 0;
    res.writeHead(e.status, headers);
    res.end();
    return;
  }
  const xml = Buffer.from(renderError(e, resource, id), 'utf8');
  res.writeHead(e.status, { ...headers, 'content-type': 'application/xml', 'content-length': xml.length });
  res.end(xml);
}
