// DeleteObjects' request and result documents
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html),
// and the bounded-concurrency map the handler (delete.ts) runs the deletes with.

import { S3Error } from '../errors.js';
import { childText, parseXml, xmlDoc, type XmlNode } from '../xml.js';

/** S3's limit on keys in one DeleteObjects request. */
export const MAX_DELETE_KEYS = 1000;

export interface DeleteEntry {
  readonly key: string;
  readonly versionId?: string;
}

export interface DeleteRequest {
  readonly quiet: boolean;
  readonly objects: readonly DeleteEntry[];
}

/**
 * Parses `<Delete><Quiet/>?<Object><Key/><VersionId/>?</Object>+</Delete>`
 * (namespace optional, entities decoded, key text kept verbatim, whitespace
 * included). No Object, more than MAX_DELETE_KEYS, an Object without a
 * non-empty Key, or a Quiet other than true/false → MalformedXML.
 * Deviation: S3 answers an empty Key with UserKeyMustBeSpecified, which is
 * not in the error table.
 */
export function parseDeleteRequest(xml: string): DeleteRequest {
  const root = parseXml(xml);
  if (root.name !== 'Delete') throw new S3Error('MalformedXML');
  const quietText = childText(root, 'Quiet')?.trim().toLowerCase();
  if (quietText !== undefined && quietText !== 'true' && quietText !== 'false') throw new S3Error('MalformedXML');
  const objects = root.children.filter((c) => c.name === 'Object').map((o): DeleteEntry => {
    const key = childText(o, 'Key');
    if (key === undefined || key === '') throw new S3Error('MalformedXML');
    const versionId = childText(o, 'VersionId')?.trim();
    return versionId === undefined ? { key } : { key, versionId };
  });
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw new S3Error('MalformedXML');
  return { quiet: quietText === 'true', objects };
}

export type DeleteOutcome =
  | { readonly entry: DeleteEntry; readonly ok: true }
  | { readonly entry: DeleteEntry; readonly ok: false; readonly code: string; readonly message: string };

/** `<DeleteResult>`: a Deleted per success (none when quiet), an Error per failure, in request order. */
export function renderDeleteResult(outcomes: readonly DeleteOutcome[], quiet: boolean): string {
  return xmlDoc('DeleteResult', outcomes.map((o): XmlNode => {
    const id: XmlNode[] = [['Key', o.entry.key], o.entry.versionId !== undefined && ['VersionId', o.entry.versionId]];
    if (o.ok) return !quiet && ['Deleted', id];
    return ['Error', [...id, ['Code', o.code], ['Message', o.message]]];
  }));
}
