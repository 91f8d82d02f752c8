// Long operations that answer with one XML document (CopyObject,
// UploadPartCopy, CompleteMultipartUpload) can outlast a client's read
// timeout: a 5 GiB copy takes a minute, and the aws CLI and boto3 give up
// after 60 s of silence. S3's answer, which every SDK understands: send
// 200 and the XML declaration at once, then a space every few seconds, then
// the result document, or an Error document if the work failed after all
// (SDKs read a 200 whose root is <Error> for these operations as that
// error, and retry it like a 5xx).
//
// Work that settles within `firstMs` gets the ordinary response instead, so
// quick failures keep their real status (404, 412, 400, …).

import { renderError } from './xml-error.js';
import type { S3Context, S3Request, S3Response } from './context.js';
import { isServerFault, toS3Error } from './error-map.js';

const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>';

export interface KeepAliveTiming {
  /** Wait this long for an ordinary answer before committing to 200. */
  readonly firstMs: number;
  /** Then a space this often. */
  readonly everyMs: number;
}

export const KEEP_ALIVE: KeepAliveTiming = { firstMs: 2000, everyMs: 5000 };

type Outcome = { readonly ok: S3Response } | { readonly err: unknown };

export async function keepAlive(s3: S3Context, r: S3Request, work: Promise<S3Response>, timing: KeepAliveTiming = KEEP_ALIVE): Promise<S3Response> {
  const settled: Promise<Outcome> = work.then((ok) => ({ ok }), (err: unknown) => ({ err }));
  let timer: NodeJS.Timeout | undefined;
  const early = await Promise.race([settled, new Promise<null>((res) => (timer = setTimeout(() => res(null), timing.firstMs)))]);
  clearTimeout(timer);
  if (early) {
    if ('err' in early) throw early.err;
    return early.ok;
  }
  const resource = (r.raw.url ?? '/').split('?')[0] ?? '/';
  // A failure from here on is answered inside the 200: log it as http.ts would have.
  const logged = settled.then((o) => {
    if ('err' in o && isServerFault(toS3Error(o.err))) s3.log.error({ err: o.err, requestId: r.id }, 'request failed after its 200');
    return o;
  });
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: trickle(logged, resource, r.id, timing.everyMs) };
}

async function* trickle(settled: Promise<Outcome>, resource: string, requestId: string, everyMs: number): AsyncIterable<Buffer> {
  yield Buffer.from(`${XML_DECL}\n`);
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([settled, new Promise<null>((res) => (timer = setTimeout(() => res(null), everyMs)))]);
    clearTimeout(timer);
    if (!done) {
      yield Buffer.from(' ');
      continue;
    }
    const doc = 'ok' in done ? bodyText(done.ok) : renderError(toS3Error(done.err), resource, requestId);
    yield Buffer.from(doc.startsWith(XML_DECL) ? doc.slice(XML_DECL.length) : doc);
    return;
  }
}

function bodyText(res: S3Response): string {
  const b = res.body;
  if (typeof b === 'string') return b;
  if (Buffer.isBuffer(b)) return b.toString('utf8');
  throw new Error('keepAlive: the work must answer one XML document');
}
