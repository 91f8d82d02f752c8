// The end of a multipart/form-data body (RFC 2046 §5.1.1): everything after
// the close delimiter `\r\n--<boundary>--` is epilogue, to be ignored.
// busboy marks the form complete there but keeps parsing parts after it, and
// when the input then ends inside such a part it waits forever for that
// part's stream (which waits for busboy): the form never settles. So the
// form reader hands busboy the body only up to the close delimiter.

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const PARAM = /;[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)=(?:"((?:[^"\\]|\\.)*)"|([!#$%&'*+.^_`|~0-9A-Za-z-]+))[ \t]*/y;

/**
 * The boundary parameter of a multipart Content-Type, read as busboy reads
 * it (parameter names case-insensitive, the first one wins, a quoted value
 * unescapes only \" and \\), or undefined when the header does not parse.
 */
export function formBoundary(contentType: string): string | undefined {
  const slash = contentType.indexOf('/');
  let end = contentType.search(/[ \t;]/);
  if (end < 0) end = contentType.length;
  if (slash <= 0 || !TOKEN.test(contentType.slice(0, slash)) || !TOKEN.test(contentType.slice(slash + 1, end))) return undefined;
  let boundary: string | undefined;
  let at = contentType.slice(end).search(/[^ \t]/);
  if (at < 0) return undefined;
  at += end;
  while (at < contentType.length) {
    PARAM.lastIndex = at;
    const m = PARAM.exec(contentType);
    if (!m) return undefined;
    const value = m[2] !== undefined ? m[2].replace(/\\(["\\])/g, '$1') : m[3];
    if (boundary === undefined && m[1]?.toLowerCase() === 'boundary') boundary = value;
    at = PARAM.lastIndex;
  }
  return boundary;
}

/**
 * Passes `body` through up to and including the first close delimiter
 * (busboy, like this, finds delimiters as if the body began with CRLF), then
 * reads and drops the rest, so that the request is still read to its end.
 */
export async function* untilCloseDelimiter(body: AsyncIterable<Buffer>, boundary: string): AsyncGenerator<Buffer> {
  const close = Buffer.from(`\r\n--${boundary}--`);
  let tail = Buffer.from('\r\n');
  let closed = false;
  for await (const chunk of body) {
    if (closed) continue;
    const window = Buffer.concat([tail, chunk]);
    const at = window.indexOf(close);
    if (at >= 0) {
      closed = true;
      const end = at + close.length - tail.length;
      if (end > 0) yield chunk.subarray(0, end);
      continue;
    }
    yield chunk;
    tail = window.subarray(Math.max(0, window.length - (close.length - 1)));
  }
}
