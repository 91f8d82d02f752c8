// batch-client.ts against real servers on loopback: node:http ones for what a
// node sends, raw TCP ones for what a broken or lying node could send.

import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BodyTooLargeError } from '@powerstore/shared/http-body.js';
import { WireError } from '@powerstore/shared/protocol/wire/wire.js';
import { nodeCertificates } from '../cli/self-signed.js';
import { BatchClient, MAX_ANSWER_HEAD, NodeConnectionError, type BodySink } from './batch-client.js';

const never = new AbortController().signal;

/** A sink that keeps everything (or refuses past `max`), and says whether it was let go. */
function sink(max = Infinity): BodySink & { released: boolean } {
  const parts: Buffer[] = [];
  let n = 0;
  return {
    released: false,
    add(c) {
      if (n + c.length > max) throw new BodyTooLargeError('too large');
      n += c.length;
      parts.push(c);
    },
    done: () => Buffer.concat(parts),
    release() {
      this.released = true;
    },
  };
}

/** A server whose handler sees each request's body; counts the connections it accepted. */
async function httpServer(handler: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void, opts: { keepAliveTimeout?: number } = {}): Promise<{ url: string; server: Server; connections: () => number }> {
  let connections = 0;
  const server = createServer({ keepAliveTimeout: opts.keepAliveTimeout ?? 65_000 }, (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => handler(req, Buffer.concat(parts), res));
  });
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, connections: () => connections };
}

/** A TCP server that answers each connection's first bytes with `answer(socket)`. */
async function rawServer(answer: (s: Socket) => void): Promise<{ url: string; server: TcpServer; closed: () => number }> {
  let closed = 0;
  const server = createTcpServer((s) => {
    s.on('close', () => closed++);
    s.on('error', () => undefined);
    s.once('data', () => answer(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, closed: () => closed };
}

const servers: { close(): unknown }[] = [];
after(() => {
  for (const s of servers) s.close();
});

function echo(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const out = Buffer.from(JSON.stringify({ path: req.url, host: req.headers.host, x: req.headers['x-test'], len: body.length, first: body[0] }));
  res.writeHead(200, { 'content-length': out.length });
  res.end(out);
}

describe('batch client: requests and reuse', () => {
  it('sends the path, host, headers and body, and reuses one connection for requests one after another', async () => {
    const s = await httpServer(echo);
    servers.push(s.server);
    const c = new BatchClient(s.url);
    for (let i = 0; i < 3; i++) {
      const a = await c.post('/v1/batch', { 'x-test': `v${i}` }, Buffer.from([i, 1, 2]), () => sink(), never);
      assert.equal(a.status, 200);
      assert.deepEqual(JSON.parse(a.body.toString()), { path: '/v1/batch', host: new URL(s.url).host, x: `v${i}`, len: 3, first: i });
    }
    assert.equal(s.connections(), 1);
    assert.equal(c.connections, 1);
    await c.close();
  });

  it('sends a body larger than one write intact', async () => {
    const s = await httpServer((_req, body, res) => {
      const out = Buffer.from(String(body.reduce((a, b) => (a + b) % 65_521, 0)));
      res.writeHead(200, { 'content-length': out.length });
      res.end(out);
    });
    servers.push(s.server);
    const c = new BatchClient(s.url);
    const body = Buffer.alloc(300_000, 7);
    const a = await c.post('/x', {}, body, () => sink(), never);
    assert.equal(a.body.toString(), String((300_000 * 7) % 65_521));
    await c.close();
  });

  it('opens a connection for each request in flight at once, up to maxConnections; the rest wait their turn', async () => {
    const held: ServerResponse[] = [];
    const s = await httpServer((_req, _body, res) => {
      held.push(res);
      if (held.length === 2) for (const r of held.splice(0)) r.end('ok');
    });
    servers.push(s.server);
    const c = new BatchClient(s.url, { maxConnections: 2 });
    const answers = await Promise.all([1, 2, 3, 4].map(() => c.post('/x', {}, Buffer.alloc(1), () => sink(), never)));
    for (const a of answers) assert.equal(a.body.toString(), 'ok');
    assert.equal(s.connections(), 2);
    await c.close();
  });

  it('does not reuse a connection the node said to close', async () => {
    const s = await httpServer((_req, _body, res) => {
      res.writeHead(200, { 'content-length': 2, connection: 'close' });
      res.end('ok');
    });
    servers.push(s.server);
    const c = new BatchClient(s.url);
    await c.post('/x', {}, Buffer.alloc(1), () => sink(), never);
    await c.post('/x', {}, Buffer.alloc(1), () => sink(), never);
    assert.equal(s.connections(), 2);
    await c.close();
  });

  it('does not reuse a connection past the node\'s keep-alive hint less a second', async () => {
    const s = await httpServer(echo, { keepAliveTimeout: 2_000 }); // "keep-alive: timeout=2": reused within 1 s
    servers.push(s.server);
    const c = new BatchClient(s.url);
    await c.post('/x', {}, Buffer.alloc(1), () => sink(), never);
    await sleep(300);
    await c.post('/x', {}, Buffer.alloc(1), () => sink(), never);
    assert.equal(s.connections(), 1);
    await sleep(1_200);
    await c.post('/x', {}, Buffer.alloc(1), () => sink(), never);
    assert.equal(s.connections(), 2);
    await c.close();
  });

  it('gives a refusal\'s status and body to a sink chosen for that status', async () => {
    const s = await httpServer((_req, _body, res) => {
      res.writeHead(401, { 'content-length': 2, connection: 'close' });
      res.end('no');
    });
    servers.push(s.server);
    const c = new BatchClient(s.url);
    const statuses: number[] = [];
    const a = await c.post('/x', {}, Buffer.alloc(1), (st) => (statuses.push(st), sink()), never);
    assert.equal(a.status, 401);
    assert.deepEqual(statuses, [401]);
    assert.equal(a.body.toString(), 'no');
    await c.close();
  });

  it('talks TLS to an https:// node whose certificate chains to the CA given, and to no other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'batch-tls-'));
    try {
      const files = nodeCertificates(dir);
      const server = createHttpsServer({ cert: readFileSync(files.cert), key: readFileSync(files.key) }, (req, res) => {
        req.resume();
        req.on('end', () => res.end('secure'));
      });
      servers.push(server);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
      const c = new BatchClient(url, { ca: readFileSync(files.ca) });
      assert.equal((await c.post('/x', {}, Buffer.alloc(1), () => sink(), never)).body.toString(), 'secure');
      await c.close();
      const untrusting = new BatchClient(url);
      await assert.rejects(untrusting.post('/x', {}, Buffer.alloc(1), () => sink(), never), /self-signed|unable to verify|certificate/i);
      await untrusting.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('batch client: answers it does not take', () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['a chunked answer', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n', /chunked/],
    ['an answer with neither a length nor a close', 'HTTP/1.1 200 OK\r\n\r\nok', /without a content-length/],
    ['two different lengths', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nok', /content-length/],
    ['a length that is not a number', 'HTTP/1.1 200 OK\r\ncontent-length: 2x\r\n\r\nok', /content-length/],
    ['no status line', 'SMTP ready\r\n\r\n', /status line/],
    ['a 100 Continue', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok', /unexpected 100/],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\ncontent-length 2\r\n\r\nok', /malformed/],
    ['a head over the limit', `HTTP/1.1 200 OK\r\nx-pad: ${'a'.repeat(MAX_ANSWER_HEAD)}\r\ncontent-length: 2\r\n\r\nok`, /head too large/],
    ['a head over the limit that has not ended', `HTTP/1.1 200 OK\r\nx-pad: ${'a'.repeat(MAX_ANSWER_HEAD)}`, /head too large/],
  ];
  for (const [what, answer, message] of cases) {
    it(`${what} fails the request as a WireError and closes the connection`, async () => {
      const s = await rawServer((sock) => sock.write(answer));
      servers.push(s.server);
      const c = new BatchClient(s.url);
      await assert.rejects(c.post('/x', {}, Buffer.alloc(1), () => sink(), never), (e: unknown) => e instanceof WireError && message.test(e.message));
      while (s.closed() === 0) await sleep(5);
      assert.equal(c.connections, 0);
      await c.close();
    });
  }

  it('a head that trickles in a byte at a time is read whole', async () => {
    const s = await rawServer((sock) => {
      const text = 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello';
      let i = 0;
      const next = (): void => {
        if (i < text.length) sock.write(text[i++]!, () => setTimeout(next, 1));
      };
      next();
    });
    servers.push(s.server);
    const c = new BatchClient(s.url);
    assert.equal((await c.post('/x', {}, Buffer.alloc(1), () => sink(), never)).body.toString(), 'hello');
    await c.close();
  });

  it('an answer with `connection: close` and no length ends with the connection', async () => {
    const s = await rawServer((sock) => sock.end('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nall of it'));
    servers.push(s.server);
    const c = new BatchClient(s.url);
    assert.equal((await c.post('/x', {}, Buffer.alloc(1), () => sink(), never)).body.toString(), 'all of it');
    assert.equal(c.connections, 0);
    await c.close();
  });

  it('a connection that closes before the answer\'s end fails the request (NodeConnectionError, not evidence), and the next one gets a new connection', async () => {
    let n = 0;
    const s = await rawServer((sock) => {
      if (n++ === 0) sock.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf');
      else sock.write('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nfull');
    });
    servers.push(s.server);
    const c = new BatchClient(s.url);
    const first = sink();
    await assert.rejects(c.post('/x', {}, Buffer.alloc(1), () => first, never), NodeConnectionError);
    assert.equal(first.released, true);
    assert.equal((await c.post('/x', {}, Buffer.alloc(1), () => sink(), never)).body.toString(), 'full');
    await c.close();
  });

  it('a body its sink refuses fails the request with what the sink threw, and the connection is closed', async () => {
    const s = await httpServer((_req, _body, res) => {
      res.writeHead(200, { 'content-length': 100_000 });
      res.end(Buffer.alloc(100_000));
    });
    servers.push(s.server);
    const c = new BatchClient(s.url);
    const small = sink(1_000);
    await assert.rejects(c.post('/x', {}, Buffer.alloc(1), () => small, never), BodyTooLargeError);
    assert.equal(small.released, true);
    assert.equal(c.connections, 0);
    await c.post('/x', {}, Buffer.alloc(1), () => sink(), never);
    assert.equal(s.connections(), 2);
    await c.close();
  });

  it('bytes past the answer keep the connection from being reused', async () => {
    const s = await rawServer((sock) => {
      sock.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nforged');
      sock.on('data', () => sock.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nagain'));
    });
    servers.push(s.server);
    const c = new BatchClient(s.url);
    assert.equal((await c.post('/x', {}, Buffer.alloc(1), () => sink(), never)).body.toString(), 'ok');
    assert.equal(c.connections, 0);
    // A new connection, not the forged answer left on the old one.
    assert.equal((await c.post('/x', {}, Buffer.alloc(1), () => sink(), never)).body.toString(), 'ok');
    await c.close();
  });
});

describe('batch client: signals and closing', () => {
  it('an abort fails the request with its reason at once and closes its connection', async () => {
    const s = await rawServer(() => undefined); // never answers
    servers.push(s.server);
    const c = new BatchClient(s.url);
    const ctl = new AbortController();
    const p = c.post('/x', {}, Buffer.alloc(1), () => sink(), ctl.signal);
    await sleep(50);
    const reason = new Error('caller gone');
    ctl.abort(reason);
    await assert.rejects(p, (e) => e === reason);
    while (s.closed() === 0) await sleep(5);
    assert.equal(c.connections, 0);
    await c.close();
  });

  it('a request aborted while it waits for a connection leaves the queue; one not aborted goes when a connection frees', async () => {
    let release: (() => void) | undefined;
    const s = await httpServer((_req, _body, res) => {
      if (!release) release = () => res.end('first');
      else res.end('later');
    });
    servers.push(s.server);
    const c = new BatchClient(s.url, { maxConnections: 1 });
    const first = c.post('/x', {}, Buffer.alloc(1), () => sink(), never);
    const ctl = new AbortController();
    const aborted = c.post('/x', {}, Buffer.alloc(1), () => sink(), ctl.signal);
    const waiting = c.post('/x', {}, Buffer.alloc(1), () => sink(), never);
    while (!release) await sleep(5);
    ctl.abort(new Error('gone'));
    await assert.rejects(aborted, /gone/);
    release();
    assert.equal((await first).body.toString(), 'first');
    assert.equal((await waiting).body.toString(), 'later');
    assert.equal(s.connections(), 1);
    await c.close();
  });

  it('an already aborted signal fails the request before anything is sent', async () => {
    const s = await httpServer(echo);
    servers.push(s.server);
    const c = new BatchClient(s.url);
    await assert.rejects(c.post('/x', {}, Buffer.alloc(1), () => sink(), AbortSignal.abort(new Error('early'))), /early/);
    assert.equal(s.connections(), 0);
    await c.close();
  });

  it('close waits for the answer in flight, then nothing more is sent', async () => {
    let answer: (() => void) | undefined;
    const s = await httpServer((_req, _body, res) => (answer = () => res.end('done')));
    servers.push(s.server);
    const c = new BatchClient(s.url);
    const p = c.post('/x', {}, Buffer.alloc(1), () => sink(), never);
    while (!answer) await sleep(5);
    let closed = false;
    const closing = c.close().then(() => (closed = true));
    await sleep(20);
    assert.equal(closed, false);
    answer();
    assert.equal((await p).body.toString(), 'done');
    await closing;
    assert.equal(c.connections, 0);
    await assert.rejects(c.post('/x', {}, Buffer.alloc(1), () => sink(), never), NodeConnectionError);
  });
});
