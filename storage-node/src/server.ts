// The storage node's HTTP server: authenticates every protocol request
// (HMAC under this node's key, replay window), routes it, and maps failures
// to 4xx/5xx answers that change nothing. Unauthenticated, malformed or
// oversized requests get a 4xx. /metrics and /healthz are read-only and
// public (Prometheus scrapes them); they reveal counts, never data.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BodyTooLargeError, readLimited } from '../../shared/src/http-body.js';
import { AUTH_HEADER, BODY_HASH_HEADER, RequestVerifier, STREAM_BODY } from '../../shared/src/node-auth.js';
import { FrameError } from '../../shared/src/protocol/frames.js';
import { MAX_JSON_BODY, PATHS } from '../../shared/src/protocol/node-messages.js';
import { WireError } from '../../shared/src/protocol/wire.js';
import { handleBlocks } from './blocks-handler.js';
import { NodeRequestError, type NodeContext } from './node-context.js';
import { handleClock, handleCollect, handleComplete, handleFilter, handleHealth, handleList } from './rpc-handlers.js';
import { handleStore } from './store-handler.js';

type JsonHandler = (ctx: NodeContext, json: unknown) => Promise<Buffer>;

const JSON_ROUTES: Record<string, JsonHandler> = {
  [PATHS.clock]: handleClock,
  [PATHS.complete]: handleComplete,
  [PATHS.collect]: handleCollect,
  [PATHS.filter]: handleFilter,
  [PATHS.list]: handleList,
  [PATHS.health]: (ctx) => handleHealth(ctx),
};

export function createNodeServer(ctx: NodeContext): Server {
  const verifier = new RequestVerifier(ctx.keys);
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 30_000 }, (req, res) => {
    const started = process.hrtime.bigint();
    const route = (req.url ?? '').split('?')[0] ?? '';
    res.on('finish', () => {
      const r = JSON_ROUTES[route] || route === PATHS.store || route === PATHS.blocks ? route : 'other';
      ctx.metrics.requests.inc({ route: r, status: String(res.statusCode) });
      ctx.metrics.latency.observe({ route: r }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    dispatch(ctx, verifier, route, req, res).catch((err: unknown) => fail(ctx, res, err));
  });
  return server;
}

async function dispatch(ctx: NodeContext, verifier: RequestVerifier, route: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && route === '/metrics') {
    res.writeHead(200, { 'content-type': ctx.metrics.registry.contentType });
    res.end(await ctx.metrics.registry.metrics());
    return;
  }
  if (req.method === 'GET' && route === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ node: ctx.index, ok: true }));
    return;
  }
  if (req.method !== 'POST') throw new NodeRequestError(405, 'method-not-allowed');
  const header = req.headers[AUTH_HEADER];
  const authHeader = Array.isArray(header) ? header[0] : header;

  if (route === PATHS.store) {
    authenticate(ctx, verifier, authHeader, route, STREAM_BODY);
    send(res, await handleStore(ctx, req));
    return;
  }
  const json = JSON_ROUTES[route];
  if (!json && route !== PATHS.blocks) throw new NodeRequestError(404, 'no-such-route');
  const body = await readLimited(req as AsyncIterable<Buffer>, MAX_JSON_BODY);
  const hash = createHash('sha256').update(body).digest('hex');
  const claimed = req.headers[BODY_HASH_HEADER];
  if (claimed !== hash) throw new NodeRequestError(401, 'body-hash-mismatch');
  authenticate(ctx, verifier, authHeader, route, hash);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new WireError('body is not JSON');
  }
  if (json) {
    const answer = await json(ctx, parsed);
    send(res, ctx.faults ? ctx.faults.answer(route, answer) : answer);
  } else {
    await handleBlocks(ctx, parsed, res);
  }
}

function authenticate(ctx: NodeContext, verifier: RequestVerifier, header: string | undefined, route: string, bodyHash: string): void {
  const v = verifier.verify(header, 'POST', route, bodyHash);
  if (!v.ok) {
    ctx.metrics.authFailures.inc();
    throw new NodeRequestError(401, 'unauthenticated', v.reason);
  }
}

function send(res: ServerResponse, body: Buffer): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

function fail(ctx: NodeContext, res: ServerResponse, err: unknown): void {
  let status = 500;
  let code = 'internal';
  let message = 'internal error';
  if (err instanceof NodeRequestError) {
    ({ status, code, message } = err);
  } else if (err instanceof WireError || err instanceof FrameError) {
    status = 400;
    code = 'malformed';
    message = err.message;
  } else if (err instanceof BodyTooLargeError) {
    status = 413;
    code = 'too-large';
    message = err.message;
  } else if (res.destroyed || (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
    // The gateway went away mid-request (it dropped this node or its client
    // left): nothing to answer, and what was staged is already discarded.
    res.destroy();
    return;
  } else {
    ctx.log.error({ err }, 'request failed');
  }
  if (status >= 400 && status < 500) ctx.log.debug({ status, code, message }, 'request refused');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = Buffer.from(JSON.stringify({ error: code, message }));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, connection: 'close' });
  res.end(body);
}
