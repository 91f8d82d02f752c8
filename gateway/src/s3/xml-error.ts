// The one place S3 errors become XML (STYLE.md §3).

import { S3Error } from './errors.js';
import { esc } from './xml.js';

export function renderError(err: S3Error, resource: string, requestId: string): string {
  const extra = Object.entries(err.extra).map(([k, v]) => `<${k}>${esc(v)}</${k}>`).join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<Error><Code>${err.code}</Code><Message>${esc(err.message)}</Message>${extra}` +
    `<Resource>${esc(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`
  );
}
