// The CORSConfiguration document of PutBucketCors and GetBucketCors
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html,
// API_CORSRule.html): parsed and checked with the errors S3 answers, and
// rendered back in the order it was given.
//
// What S3 answers, as recorded against it (LocalStack's AWS-validated CORS
// tests, versitygw issues, ceph s3-tests): no CORSRule, a rule without
// AllowedOrigin or AllowedMethod, a non-integer MaxAgeSeconds → MalformedXML;
// a method other than GET, PUT, POST, DELETE, HEAD → InvalidRequest "Found
// unsupported HTTP method in CORS config. Unsupported method is X"; an
// AllowedOrigin or AllowedHeader with two '*' → InvalidRequest "... can not
// have more than one wildcard."; a '*' in an ExposeHeader → InvalidRequest.
// An empty AllowedOrigin is accepted and given back.
// Where no recording says what S3 answers, this gateway chooses, and says so:
// more than 100 rules → MalformedXML; an ID over 255 characters →
// InvalidRequest; an ExposeHeader that is not an HTTP header name →
// InvalidRequest (it is sent back in Access-Control-Expose-Headers, which a
// value with a line break would break).

import type { CorsRule } from '../../object-meta.js';
import { S3Error } from '../errors.js';
import { parseXml, xmlDoc, type XmlElement, type XmlNode } from '../xml.js';

/** S3's limit on rules in one configuration. */
export const MAX_CORS_RULES = 100;
/** S3's limit on the document ("limited to 64 KB in size"). */
export const MAX_CORS_XML_BYTES = 64 * 1024;
export const CORS_METHODS: readonly string[] = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
const MAX_ID_CHARS = 255;
/** An HTTP field name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function invalid(message: string): S3Error {
  return new S3Error('InvalidRequest', message);
}

function texts(el: XmlElement, name: string): string[] {
  return el.children.filter((c) => c.name === name).map((c) => c.text);
}

function wildcards(s: string): number {
  return s.split('*').length - 1;
}

const KNOWN = new Set(['ID', 'AllowedOrigin', 'AllowedMethod', 'AllowedHeader', 'ExposeHeader', 'MaxAgeSeconds']);

function parseRule(el: XmlElement): CorsRule {
  if (el.children.some((c) => !KNOWN.has(c.name))) throw new S3Error('MalformedXML');
  const allowedOrigins = texts(el, 'AllowedOrigin');
  const allowedMethods = texts(el, 'AllowedMethod');
  if (allowedOrigins.length === 0 || allowedMethods.length === 0) throw new S3Error('MalformedXML');
  const ids = texts(el, 'ID');
  const ages = texts(el, 'MaxAgeSeconds');
  if (ids.length > 1 || ages.length > 1) throw new S3Error('MalformedXML');
  let maxAgeSeconds: number | undefined;
  if (ages[0] !== undefined) {
    // An xsd:int, as the schema says.
    if (!/^\s*[-+]?\d{1,10}\s*$/.test(ages[0])) throw new S3Error('MalformedXML');
    maxAgeSeconds = Number(ages[0]);
    if (maxAgeSeconds > 2 ** 31 - 1 || maxAgeSeconds < -(2 ** 31)) throw new S3Error('MalformedXML');
  }
  const rule: CorsRule = {
    ...(ids[0] !== undefined ? { id: ids[0] } : {}),
    allowedOrigins, allowedMethods,
    allowedHeaders: texts(el, 'AllowedHeader'),
    exposeHeaders: texts(el, 'ExposeHeader'),
    ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}),
  };
  checkRule(rule);
  return rule;
}

function checkRule(rule: CorsRule): void {
  for (const m of rule.allowedMethods) {
    if (!CORS_METHODS.includes(m)) throw invalid(`Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
  }
  for (const o of rule.allowedOrigins) {
    if (wildcards(o) > 1) throw invalid(`AllowedOrigin "${o}" can not have more than one wildcard.`);
  }
  for (const h of rule.allowedHeaders) {
    if (wildcards(h) > 1) throw invalid(`AllowedHeader "${h}" can not have more than one wildcard.`);
  }
  for (const h of rule.exposeHeaders) {
    if (h.includes('*')) throw invalid(`ExposeHeader "${h}" contains wildcard. We currently do not support wildcard for ExposeHeader.`);
    if (!TOKEN.test(h)) throw invalid(`ExposeHeader "${h}" is not a valid header name.`);
  }
  if (rule.id !== undefined && rule.id.length > MAX_ID_CHARS) throw invalid(`The ID of a CORSRule cannot be longer than ${MAX_ID_CHARS} characters.`);
}

/** Parses and checks a PutBucketCors body; throws the S3Error S3 would answer. */
export function parseCorsConfiguration(xml: string): CorsRule[] {
  const root = parseXml(xml);
  if (root.name !== 'CORSConfiguration') throw new S3Error('MalformedXML');
  if (root.children.some((c) => c.name !== 'CORSRule')) throw new S3Error('MalformedXML');
  if (root.children.length === 0 || root.children.length > MAX_CORS_RULES) throw new S3Error('MalformedXML');
  return root.children.map(parseRule);
}

/** The GetBucketCors document: each rule's members in the SDK model's order, values as stored. */
export function renderCorsConfiguration(rules: readonly CorsRule[]): string {
  return xmlDoc('CORSConfiguration', rules.map((r): XmlNode => ['CORSRule', [
    r.id !== undefined && ['ID', r.id],
    ...r.allowedHeaders.map((h): XmlNode => ['AllowedHeader', h]),
    ...r.allowedMethods.map((m): XmlNode => ['AllowedMethod', m]),
    ...r.allowedOrigins.map((o): XmlNode => ['AllowedOrigin', o]),
    ...r.exposeHeaders.map((h): XmlNode => ['ExposeHeader', h]),
    r.maxAgeSeconds !== undefined && ['MaxAgeSeconds', r.maxAgeSeconds],
  ]]));
}
