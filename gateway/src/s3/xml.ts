// XML for the S3 wire: a tiny builder for responses (namespace and element
// order as AWS documents them) and a strict, bounded parser for the few
// request bodies S3 takes (CreateBucketConfiguration, Delete,
// CompleteMultipartUpload). The parser refuses DOCTYPE (no entity expansion
// attacks), bounds depth and size, and accepts what real clients send:
// optional prolog and namespace, entity-encoded text.

import { S3Error } from './errors.js';

export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

const NEEDS_ESCAPE = /[&<>"']/;

export function esc(s: string): string {
  // Most text needs none: tested first, without building a new string.
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * Elements already rendered (their text escaped): a listing's 1,000
 * Contents are written as one string each, where an element tree of eight
 * arrays and a string per element was a fifth of what a listing allocated.
 */
export class XmlFragment {
  constructor(readonly xml: string) {}
}

/** An element tree node for rendering: [name, children | text], or a fragment. */
export type XmlNode = readonly [string, string | number | boolean | readonly XmlNode[]] | XmlFragment | null | undefined | false | '';

function render(n: XmlNode, out: string[]): void {
  if (!n) return;
  if (n instanceof XmlFragment) {
    out.push(n.xml);
    return;
  }
  const [name, v] = n;
  if (Array.isArray(v)) {
    out.push(`<${name}>`);
    for (const c of v as readonly XmlNode[]) render(c, out);
    out.push(`</${name}>`);
  } else {
    out.push(`<${name}>${esc(String(v))}</${name}>`);
  }
}

/** A whole document: prolog, root element with the S3 namespace, children in order. */
export function xmlDoc(root: string, children: readonly XmlNode[], ns: string | null = S3_NS): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', ns ? `<${root} xmlns="${ns}">` : `<${root}>`];
  for (const c of children) render(c, out);
  out.push(`</${root}>`);
  return out.join('');
}

// ---- parsing ----

export interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  text: string;
}

export const MAX_XML_BYTES = 2 * 1024 * 1024;
const MAX_DEPTH = 16;

function decodeEntities(s: string): string {
  if (/&(?!(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);)/.test(s)) throw new S3Error('MalformedXML');
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      // Surrogates are not XML characters, and a lone one cannot be encoded
      // as UTF-8: it would silently become U+FFFD, e.g. in a key to delete.
      if (!Number.isFinite(cp) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new S3Error('MalformedXML');
      return String.fromCodePoint(cp);
    }
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e]!;
  });
}

function localName(qname: string): string {
  const i = qname.indexOf(':');
  return i < 0 ? qname : qname.slice(i + 1);
}

/** Parses an XML document into elements (names without namespace prefixes). */
export function parseXml(src: string): XmlElement {
  if (src.length > MAX_XML_BYTES) throw new S3Error('MalformedXML');
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const bad = (): never => {
    throw new S3Error('MalformedXML');
  };
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const text = lt < 0 ? src.slice(i) : src.slice(i, lt);
    if (stack.length > 0) stack[stack.length - 1]!.text += decodeEntities(text);
    else if (text.trim() !== '') bad();
    if (lt < 0) break;
    if (src.startsWith('<?', lt)) {
      const end = src.indexOf('?>', lt);
      if (end < 0 || root) bad();
      i = end + 2;
    } else if (src.startsWith('<!--', lt)) {
      const end = src.indexOf('-->', lt);
      if (end < 0) bad();
      i = end + 3;
    } else if (src.startsWith('<![CDATA[', lt)) {
      const end = src.indexOf(']]>', lt);
      if (end < 0 || stack.length === 0) bad();
      stack[stack.length - 1]!.text += src.slice(lt + 9, end);
      i = end + 3;
    } else if (src.startsWith('<!', lt)) {
      bad(); // DOCTYPE and friends: refused
    } else if (src.startsWith('</', lt)) {
      const end = src.indexOf('>', lt);
      if (end < 0) bad();
      const name = localName(src.slice(lt + 2, end).trim());
      const open = stack.pop();
      if (!open || open.name !== name) bad();
      i = end + 1;
    } else {
      const end = src.indexOf('>', lt);
      if (end < 0) bad();
      let tag = src.slice(lt + 1, end);
      const selfClosing = tag.endsWith('/');
      if (selfClosing) tag = tag.slice(0, -1);
      const m = /^([A-Za-z_][\w.:-]*)(\s[^]*)?$/.exec(tag.trim());
      if (!m) bad();
      const el: XmlElement = { name: localName(m![1]!), children: [], text: '' };
      if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
      else if (root) bad();
      else root = el;
      if (!selfClosing) {
        stack.push(el);
        if (stack.length > MAX_DEPTH) bad();
      }
      i = end + 1;
    }
  }
  if (!root || stack.length > 0) bad();
  return root!;
}

export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

export function childText(el: XmlElement, name: string): string | undefined {
  return child(el, name)?.text;
}
