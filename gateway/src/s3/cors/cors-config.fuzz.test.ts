// Property-based tests of the CORS configuration parser and the matcher: a
// mutated CORSConfiguration gives rules or a client error (400), never
// anything else; what it accepts renders and parses back to the same rules;
// and whatever it accepts, the headers an allowed request is answered with
// are values Node can write (a stored value must never turn a later
// response into a 500).

import { strict as assert } from 'node:assert';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCorsConfiguration, renderCorsConfiguration } from './cors-config.js';
import { allowHeaders, matchRule, requestedHeaders } from './cors-match.js';
import { runs, valueOrClientError } from '../testing/fuzz.js';

const DOC = '<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule><ID>r&amp;1</ID>'
  + '<AllowedOrigin>http://*.example.com</AllowedOrigin><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>'
  + '<AllowedMethod>PUT</AllowedMethod><AllowedHeader>x-amz-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>'
  + '<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule><CORSRule><AllowedOrigin></AllowedOrigin><AllowedMethod>HEAD</AllowedMethod></CORSRule></CORSConfiguration>';
const FRAGMENTS = ['<', '>', '/', '</', '*', '**', '&#10;', '&#13;', '&#x7f;', '&#xe9;', ' ', ',', 'GET', 'POST', 'DELETE', 'OPTIONS',
  '<CORSRule>', '</CORSRule>', '<ExposeHeader>', '</ExposeHeader>', '<AllowedHeader>', '<MaxAgeSeconds>-1</MaxAgeSeconds>'];

function mutate(d: string, at: number, s: string, cut: number): string {
  const i = at % (d.length + 1);
  return d.slice(0, i) + s + d.slice(i + cut);
}

describe('CORS configuration (fuzz)', () => {
  it('a mutated document: rules that render and parse back, and answer with writable headers; or a 4xx', () => {
    const edit = fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 3, unit: 'binary' })), fc.nat({ max: 12 }));
    fc.assert(fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (edits, origin, asked) => {
      const doc = Buffer.from(edits.reduce((d, [at, s, cut]) => mutate(d, at, s, cut), DOC), 'utf8').toString('utf8');
      const rules = valueOrClientError(() => parseCorsConfiguration(doc));
      if (!rules) return;
      assert.deepEqual(parseCorsConfiguration(renderCorsConfiguration(rules)), rules);
      for (const rule of rules) {
        for (const method of rule.allowedMethods) {
          const o = origin.replace(/[^\x20-\x7e]/g, '') || 'http://a';
          const ask = { origin: o, method, headers: requestedHeaders(asked.replace(/[^\x20-\x7e]/g, '')) };
          const matched = matchRule([rule], ask);
          const h = allowHeaders(rule, ask);
          for (const [name, value] of Object.entries(h)) {
            validateHeaderName(name);
            validateHeaderValue(name, value);
          }
          if (matched) assert.equal(matched, rule);
        }
      }
    }), { numRuns: runs(2000) });
  });

  it('rules of any strings: those accepted answer with headers Node can write', () => {
    const text = fc.string({ maxLength: 10, unit: fc.oneof(fc.constantFrom('*', '-', 'a', 'X', ' ', '\n', '\r', '\t', 'é', '日', ','), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })) });
    const list = fc.array(text, { maxLength: 3 });
    const ruleArb = fc.record({
      allowedOrigins: fc.array(text, { minLength: 1, maxLength: 3 }),
      allowedMethods: fc.array(fc.oneof(fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'HEAD'), text), { minLength: 1, maxLength: 3 }),
      allowedHeaders: list, exposeHeaders: list,
    });
    fc.assert(fc.property(ruleArb, fc.string({ maxLength: 30 }), (r, asked) => {
      // As the handler gets it: the rendered document's bytes decoded as UTF-8.
      const doc = Buffer.from(renderCorsConfiguration([r]), 'utf8').toString('utf8');
      const rules = valueOrClientError(() => parseCorsConfiguration(doc));
      if (!rules) return;
      const rule = rules[0]!;
      const ask = { origin: 'http://a', method: rule.allowedMethods[0]!, headers: requestedHeaders(asked.replace(/[^\x20-\x7e]/g, '')) };
      for (const [name, value] of Object.entries(allowHeaders(rule, ask))) validateHeaderValue(name, value);
    }), { numRuns: runs(2000) });
  });
});
