// The storage node's HTTP(S) server: authenticates every protocol request
// (HMAC under this node's key, replay window) from its head, before reading
// its body, routes it, and maps failures to 4xx/5xx answers that change
// nothing. Unauthenticated, malformed or oversized requests get a 4xx; a 401
// says only "unauthenticated" (the reason goes to the debug log). /metrics and
// /healthz are read-only and public (Prometheus scrapes them); they reveal
// counts, never data.
//
// Time and connections are bounded (security review F4): a header deadline,
// an idle timeout on every socket (no byte either way for idleTimeoutMs:
// closed; a slow store stream that keeps moving is not cut, which is why
// there is no total request deadline: a multi-GiB fragment streams as fast
// as the writer's client uploads it), a deadline for the small fully-read
// bodies, and a cap on connections.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { BodyTooLargeError } from '@powerstore/shared/http-body.js';
import { RequestVerifier, STREAM_BODY } from '@powerstore/shared/node-auth.js';
import { FrameError } from '@powerstore/shared/protocol/wire/frames.js';
import { MAX_JSON_BODY, PATHS } from '@powerstore/shared/protocol/wire/node-messages.js';
import { BATCH_PATH, decodeBatch, encodeAnswers, fitAnswers, MAX_BATCH_BYTES, type BatchAnswer } from '@powerstore/shared/protocol/wire/batch.js';
import { WireError } from '@powerstore/shared/protocol/wire/wire.js';
import type { AnswerForm } from '@powerstore/shared/protocol/wire/binary-answers.js';
import { handleBlocks } from './handlers/blocks-handler.js';
import { NodeRequestError, type NodeContext } from './node-context.js';
import { authenticate, readSignedBody } from './request-auth.js';
import { handleClock, handleCollect, handleComplete, handleEntry, handleFilter, handleHealth, handleList, handlePin } from './handlers/rpc-handlers.js';
import { handleStore } from './handlers/store-handler.js';
import { handleKeys, KEY_DELIVERY_PATH } from './handlers/keys-handler.js';

type JsonHandler = (ctx: NodeContext, json: unknown, form: AnswerForm) => Promise<Buffer>;

const JSON_ROUTES: Record<string, JsonHandler> = {
  [PATHS.clock]: handleClock,
  [PATHS.complete]: handleComplete,
  [PATHS.collect]: handleCollect,
  [PATHS.filter]: handleFilter,
  [PATHS.list]: handleList,
  [PATHS.health]: (ctx) => handleHealth(ctx),
  [PATHS.pin]: handlePin,
  [PATHS.entry]: handleEntry,
  [KEY_DELIVERY_PATH]: handleKeys,
};

const KNOWN_ROUTES = new Set<string>([...Object.keys(JSON_ROUTES), PATHS.store, PATHS.blocks, BATCH_PATH]);

export interface NodeServerOptions {
  /** A socket with no byte in either direction for this long is closed (default 60 s). */
  readonly idleTimeoutMs?: number;
  /** A fully-read (non-store) request body must arrive within this (default 60 s). */
  readonly bodyDeadlineMs?: number;
  /** Connections beyond this are refused (default 4096: gateways x their pool size must fit). */
  readonly maxConnections?: number;
  /** PEM certificate and key: serve HTTPS (the request MACs stay). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
}

export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_CONNECTIONS = 4096;

interface Limits {
  readonly bodyDeadlineMs: number;
}

export function createNodeServer(ctx: NodeContext, opts: NodeServerOptions = {}): Server {
  // Nothing signed before this server existed is accepted (F10): the nonces
  // a previous run of this node saw are gone, so its requests could replay.
  const verifier = new RequestVerifier(ctx.keys, { notBefore: Date.now() });
  const limits: Limits = { bodyDeadlineMs: opts.bodyDeadlineMs ?? DEFAULT_IDLE_TIMEOUT_MS };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const route = (req.url ?? '').split('?')[0] ?? '';
    res.on('finish', () => {
      const r = KNOWN_ROUTES.has(route) ? route : 'other';
      ctx.metrics.requests.inc({ route: r, status: String(res.statusCode) });
      ctx.metrics.latency.observe({ route: r }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    dispatch(ctx, verifier, limits, route, req, res).catch(async (err: unknown) => {
      // A refusal may rest on what the database shows too: it waits like an answer.
      await ctx.store.committer.durable()?.catch(() => undefined);
      fail(ctx, res, err);
    });
  };
  const serverOpts = {
    keepAliveTimeout: 65_000,
    requestTimeout: 0, // no total deadline: store streams are long (see the head of this file)
    headersTimeout: 30_000,
    connectionsCheckingInterval: 5_000, // the header deadline is checked this often
  };
  const server: Server = opts.tls
    ? createHttpsServer({ ...serverOpts, cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' }, onRequest)
    : createHttpServer(serverOpts, onRequest);
  server.setTimeout(opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS); // no 'timeout' listener: the socket is destroyed
  server.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  return server;
}

/** One protocol message (alone or inside a batch): its answer bytes in `form`, faults applied. */
async function answer(ctx: NodeContext, route: string, body: Buffer | AsyncIterable<Buffer>, socket: Socket, form: AnswerForm = 'json'): Promise<Buffer> {
  ctx.metrics.messages.inc({ route }); // a known route: batch entries and dispatch let no other through
  let parsed: unknown;
  let a: Buffer;
  if (route === PATHS.store) {
    a = await handleStore(ctx, Buffer.isBuffer(body) ? [body] : body, form);
  } else {
    const json = JSON_ROUTES[route];
    if (!json || !Buffer.isBuffer(body)) throw new NodeRequestError(404, 'no-such-route');
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new WireError('body is not JSON');
    }
    a = await json(ctx, parsed, form);
  }
  // Nothing is revealed before it is durable: the answer may show a change
  // whose transaction committed but whose WAL sync is still running.
  await ctx.store.committer.durable();
  return ctx.faults?.any ? ctx.faults.answer({ route, json: parsed, socket, form }, a) : a;
}

async function dispatch(ctx: NodeContext, verifier: RequestVerifier, limits: Limits, route: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
  if (!KNOWN_ROUTES.has(route)) throw new NodeRequestError(404, 'no-such-route');
  if (ctx.faults?.any && !(await ctx.faults.beforeAnswer(route))) {
    req.resume(); // fault modes silent, withhold: read the request, never answer, keep the socket open
    return;
  }
  if (route === PATHS.store) {
    // The streamed store's content is authenticated by the store message
    // itself (node-auth.ts); its length by maxFragmentBytes as it streams.
    authenticate(ctx, verifier, req, route, STREAM_BODY);
    send(res, await answer(ctx, route, req as AsyncIterable<Buffer>, req.socket));
    return;
  }
  const body = await readSignedBody(ctx, verifier, req, route, route === BATCH_PATH ? MAX_BATCH_BYTES : MAX_JSON_BODY, limits.bodyDeadlineMs);
  if (route === BATCH_PATH) {
    const entries = decodeBatch(body);
    const answers = await Promise.all(entries.map(async (e): Promise<BatchAnswer> => {
      try {
        return { status: 200, payload: await answer(ctx, e.route, e.payload, req.socket, e.binary ? 'binary' : 'json') };
      } catch (err) {
        const r = refusalOf(ctx, err);
        return { status: r.status, payload: Buffer.from(JSON.stringify({ error: r.code, message: r.message })) };
      }
    }));
    const encoded = encodeAnswers(fitAnswers(answers));
    const out = ctx.faults?.any ? ctx.faults.batch(encoded) : encoded;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': out.length });
    if (ctx.faults?.any) await ctx.faults.sendBatch(res, out);
    else res.end(out);
  } else if (route === PATHS.blocks) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new WireError('body is not JSON');
    }
    await handleBlocks(ctx, parsed, res);
  } else {
    send(res, await answer(ctx, route, body, req.socket));
  }
}

function send(res: ServerResponse, body: Buffer): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

/** The status, code and message a failure is answered with. */
function refusalOf(ctx: NodeContext, err: unknown): { status: number; code: string; message: string } {
  if (err instanceof NodeRequestError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof WireError || err instanceof FrameError) return { status: 400, code: 'malformed', message: err.message };
  if (err instanceof BodyTooLargeError) return { status: 413, code: 'too-large', message: err.message };
  ctx.log.error({ err }, 'request failed');
  return { status: 500, code: 'internal', message: 'internal error' };
}

function fail(ctx: NodeContext, res: ServerResponse, err: unknown): void {
  if (res.destroyed || (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
    // The gateway went away mid-request (it dropped this node or its client
    // left): nothing to answer, and what was staged is already discarded.
    res.destroy();
    return;
  }
  const { status, code, message } = refusalOf(ctx, err);
  if (status < 500) ctx.log.debug({ status, code, message }, 'request refused');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // An unauthenticated peer learns nothing about why (the reason was logged
  // above); refusals of authenticated requests (a key box that does not
  // open: 401 bad-key-box) keep their code for the gateway.
  const body = Buffer.from(JSON.stringify(code === 'unauthenticated' ? { error: code } : { error: code, message }));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, connection: 'close' });
  res.end(body);
}
