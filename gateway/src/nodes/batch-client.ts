// The gateway's HTTP/1.1 client for the small, fully-buffered requests it
// sends a node (its batch requests, the hot path of every small operation).
// undici, which carries the streamed ones (uploads, block reads), cost the
// gateway 135-180 µs of CPU a batch request of one message, against 95-108
// µs through this client with the batcher, deadline and answer parse around
// both (issue 11; one real node in its own process, one request at a time):
// its request API builds a readable stream for each answer, an abort
// listener, a header object, and writes the head and the body apart.
//
// What it does: up to `maxConnections` keep-alive connections (TLS for an
// https:// node), one request at a time on each (no pipelining); the head
// and a small body go out in one write. An answer's head is read up to
// MAX_ANSWER_HEAD bytes; its body needs a content-length, or `connection:
// close` (then it ends with the connection), and goes to the caller's sink,
// which bounds it. A connection goes back for reuse unless the node said
// close, sent bytes past the answer, or it idled past the node's keep-alive
// hint less a second (IDLE_REUSE_MS at most); a node that closed a kept
// connection could otherwise meet our next request with a reset.
//
// What it does not: chunked, 1xx or HTTP/2 answers, redirects or retries.
// Our nodes send none of those; a head this client cannot read fails the
// request as a WireError (evidence, like any malformed answer), and a
// connection that closes or fails before the answer's end fails it as a
// NodeConnectionError (never evidence: a node may crash). A request's signal
// cuts it at any time: its connection is destroyed, never reused.

import net from 'node:net';
import tls from 'node:tls';
import { WireError } from '@powerstore/shared/protocol/wire/wire.js';

/** Largest answer head read (status line and headers). */
export const MAX_ANSWER_HEAD = 16 * 1024;
/** Longest a connection waits idle and is still reused. */
export const IDLE_REUSE_MS = 30_000;
/** Bodies up to this size go out in one write with their head (a copy); larger ones in a second. */
const COPY_BODY_MAX = 64 * 1024;

/** Where an answer's body goes as it arrives. */
export interface BodySink {
  /** Takes the next piece; throws to refuse it (the request fails with what it threw). */
  add(chunk: Buffer): void;
  /** The whole body, once it has ended. */
  done(): Buffer;
  /** The answer will not end: let go of what was taken. */
  release(): void;
}

export interface PostAnswer {
  readonly status: number;
  readonly body: Buffer;
}

/** A connection that closed or failed before the answer's end. */
export class NodeConnectionError extends Error {
  override readonly name = 'NodeConnectionError';
}

interface Target {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** The Host header's value. */
  readonly hostHeader: string;
  readonly ca?: Buffer;
}

export interface BatchClientOptions {
  /** PEM CA certificate(s) an https:// node's certificate must chain to. */
  readonly ca?: Buffer;
  /** Connections at once; requests beyond wait for one (default 256). */
  readonly maxConnections?: number;
}

export class BatchClient {
  private readonly target: Target;
  private readonly maxConnections: number;
  /** Connections waiting for a request, the most recently used last. */
  private readonly idle: Conn[] = [];
  private busy = 0;
  private readonly queue: Exchange[] = [];
  private closing = false;
  private onDrained: (() => void) | null = null;

  constructor(url: string, opts: BatchClientOptions = {}) {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`node URL ${url}: not http or https`);
    const secure = u.protocol === 'https:';
    this.target = {
      host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: u.port ? Number(u.port) : secure ? 443 : 80,
      tls: secure,
      hostHeader: u.host,
      ...(opts.ca ? { ca: opts.ca } : {}),
    };
    this.maxConnections = opts.maxConnections ?? 256;
  }

  /**
   * POSTs `body` to `path` with `headers` (names lowercase, values without
   * line breaks; host and content-length are added) and reads the answer into
   * the sink `sinkFor` gives for its status.
   */
  post(path: string, headers: Readonly<Record<string, string>>, body: Buffer, sinkFor: (status: number) => BodySink, signal: AbortSignal): Promise<PostAnswer> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      if (this.closing) return reject(new NodeConnectionError('client closed'));
      let head = `POST ${path} HTTP/1.1\r\nhost: ${this.target.hostHeader}\r\ncontent-length: ${body.length}\r\n`;
      for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
      const x = new Exchange(head + '\r\n', body, sinkFor, signal, resolve, reject);
      this.dispatch(x);
    });
  }

  /** Connections open now (idle and busy). */
  get connections(): number {
    return this.idle.length + this.busy;
  }

  /** Closes idle connections now and each busy one when its answer is in. */
  close(): Promise<void> {
    this.closing = true;
    for (const c of this.idle.splice(0)) c.destroy();
    for (const x of this.queue.splice(0)) x.fail(new NodeConnectionError('client closed'));
    if (this.busy === 0) return Promise.resolve();
    return new Promise((r) => (this.onDrained = r));
  }

  private dispatch(x: Exchange): void {
    let c: Conn | undefined;
    const now = Date.now();
    while ((c = this.idle.pop()) !== undefined && (c.dead || now > c.reuseUntil)) c.destroy();
    if (c === undefined) {
      if (this.busy >= this.maxConnections) {
        x.queued(() => this.unqueue(x));
        this.queue.push(x);
        return;
      }
      c = new Conn(this.target, this.owner);
    }
    this.busy++;
    c.start(x);
  }

  private unqueue(x: Exchange): void {
    const i = this.queue.indexOf(x);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** What a connection tells this client: its exchange is over, or it closed while idle. */
  private readonly owner: ConnOwner = {
    finished: (c, reuseMs) => this.finished(c, reuseMs),
    gone: (c) => this.dropIdle(c),
  };

  private finished(c: Conn, reuseMs: number): void {
    this.busy--;
    if (reuseMs > 0 && !this.closing) {
      c.reuseUntil = Date.now() + reuseMs;
      c.rest();
      this.idle.push(c);
    } else c.destroy();
    const next = this.queue.shift();
    if (next) {
      next.dequeued();
      this.dispatch(next);
    } else if (this.closing && this.busy === 0) this.onDrained?.();
  }

  private dropIdle(c: Conn): void {
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
  }
}

/** One request and its answer. */
class Exchange {
  private settled = false;
  private onAbort: (() => void) | null = null;

  constructor(
    readonly head: string,
    readonly body: Buffer,
    readonly sinkFor: (status: number) => BodySink,
    readonly signal: AbortSignal,
    private readonly res: (a: PostAnswer) => void,
    private readonly rej: (e: unknown) => void,
  ) {}

  /** While it waits for a connection, an abort takes it out of the queue. */
  queued(unqueue: () => void): void {
    this.watch(() => {
      unqueue();
      this.fail(this.signal.reason);
    });
  }

  dequeued(): void {
    this.unwatch();
  }

  /** On its connection, an abort destroys that connection. */
  watch(onAbort: () => void): void {
    this.onAbort = onAbort;
    this.signal.addEventListener('abort', onAbort, { once: true });
  }

  unwatch(): void {
    if (this.onAbort) this.signal.removeEventListener('abort', this.onAbort);
    this.onAbort = null;
  }

  succeed(a: PostAnswer): void {
    if (this.settle()) this.res(a);
  }

  fail(e: unknown): void {
    if (this.settle()) this.rej(e);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.unwatch();
    return true;
  }
}

/** Keep-alive hint in a `keep-alive: timeout=N` header. */
const KEEP_ALIVE_TIMEOUT = /(?:^|,)\s*timeout=(\d{1,9})/i;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: |$)/;

interface ConnOwner {
  /** The connection's exchange is over; `reuseMs` > 0 if it may carry another within that long. */
  finished(c: Conn, reuseMs: number): void;
  /** An idle connection closed. */
  gone(c: Conn): void;
}

/** One connection to the node and the answer it is reading. */
class Conn {
  private readonly socket: net.Socket;
  dead = false;
  reuseUntil = 0;
  private x: Exchange | null = null;
  /** Head bytes so far, while the head is incomplete. */
  private headPart: Buffer | null = null;
  private status = 0;
  /** Body bytes still to come, or -1: until the connection closes. */
  private remaining = 0;
  private sink: BodySink | null = null;
  private reuseMs = 0;

  constructor(target: Target, private readonly owner: ConnOwner) {
    this.socket = target.tls
      ? tls.connect({ host: target.host, port: target.port, ALPNProtocols: ['http/1.1'], ...(net.isIP(target.host) ? {} : { servername: target.host }), ...(target.ca ? { ca: target.ca } : {}) })
      : net.connect({ host: target.host, port: target.port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', (e) => this.broken(e));
    this.socket.on('close', () => this.broken(new NodeConnectionError('node closed the connection')));
  }

  start(x: Exchange): void {
    this.x = x;
    this.headPart = null;
    this.sink = null;
    this.socket.ref();
    x.watch(() => this.broken(x.signal.reason));
    if (x.body.length <= COPY_BODY_MAX) {
      const out = Buffer.allocUnsafe(Buffer.byteLength(x.head, 'latin1') + x.body.length);
      const n = out.write(x.head, 0, 'latin1');
      x.body.copy(out, n);
      this.socket.write(out);
    } else {
      this.socket.cork();
      this.socket.write(x.head, 'latin1');
      this.socket.write(x.body);
      this.socket.uncork();
    }
  }

  /** Idle: it does not keep the process alive. */
  rest(): void {
    this.socket.unref();
  }

  destroy(): void {
    this.dead = true;
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    if (this.x === null) {
      // Bytes nobody asked for: the connection cannot be trusted to frame the next answer.
      this.destroy();
      this.owner.gone(this);
      return;
    }
    let rest = d;
    if (this.sink === null) {
      const before = this.headPart?.length ?? 0;
      const b = this.headPart ? Buffer.concat([this.headPart, d]) : d;
      const end = b.indexOf('\r\n\r\n', Math.max(0, before - 3));
      if (end < 0) {
        if (b.length > MAX_ANSWER_HEAD) return this.broken(new WireError('answer head too large'));
        this.headPart = b;
        return;
      }
      if (end > MAX_ANSWER_HEAD) return this.broken(new WireError('answer head too large'));
      const bad = this.readHead(b.toString('latin1', 0, end));
      if (bad) return this.broken(new WireError(bad));
      this.headPart = null;
      this.sink = this.x.sinkFor(this.status);
      rest = b.subarray(end + 4);
    }
    if (rest.length === 0 && this.remaining !== 0) return;
    const take = this.remaining < 0 ? rest.length : Math.min(this.remaining, rest.length);
    try {
      if (take > 0) this.sink.add(take === rest.length ? rest : rest.subarray(0, take));
    } catch (e) {
      return this.broken(e);
    }
    if (this.remaining < 0) return;
    this.remaining -= take;
    if (rest.length > take) this.reuseMs = 0; // bytes past the answer
    if (this.remaining === 0) this.complete();
  }

  /** Reads status, length and reuse from the head; a reason it cannot be read, or null. */
  private readHead(head: string): string | null {
    const lines = head.split('\r\n');
    const s = STATUS_LINE.exec(lines[0]!);
    if (!s) return 'answer without an HTTP/1.x status line';
    this.status = Number(s[2]);
    if (this.status < 200) return `unexpected ${this.status} answer`;
    let length: number | null = null;
    let close = s[1] === '0';
    let hintMs = IDLE_REUSE_MS;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) return 'malformed answer header';
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value) || (length !== null && length !== Number(value))) return 'bad content-length';
        length = Number(value);
      } else if (name === 'transfer-encoding') return 'chunked answers are not read';
      else if (name === 'connection') close ||= /(?:^|,)\s*close\s*(?:,|$)/i.test(value);
      else if (name === 'keep-alive') {
        const k = KEEP_ALIVE_TIMEOUT.exec(value);
        if (k) hintMs = Number(k[1]) * 1000 - 1000;
      }
    }
    if (length === null && !close) return 'answer without a content-length';
    this.remaining = length ?? -1;
    this.reuseMs = close ? 0 : Math.min(IDLE_REUSE_MS, hintMs);
    return null;
  }

  private complete(): void {
    const x = this.x!;
    const sink = this.sink!;
    this.x = null;
    this.sink = null;
    const body = sink.done();
    x.unwatch();
    this.owner.finished(this, this.reuseMs);
    x.succeed({ status: this.status, body });
  }

  /** The connection is done for: fail the answer it was reading, if any, unless the close ends that answer. */
  private broken(e: unknown): void {
    if (this.x !== null && this.sink !== null && this.remaining < 0 && e instanceof NodeConnectionError) {
      this.dead = true;
      this.reuseMs = 0;
      this.complete();
      return;
    }
    const wasDead = this.dead;
    this.destroy();
    const x = this.x;
    if (x !== null) {
      this.x = null;
      this.sink?.release();
      this.sink = null;
      x.fail(e);
      this.owner.finished(this, 0);
    } else if (!wasDead) this.owner.gone(this);
  }
}
