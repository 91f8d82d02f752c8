// The Expect header (issue 12 item 8). S3 ignores an expectation it does not
// know (only 100-continue means anything to it); Node's HTTP server instead
// answers 417 Expectation Failed unless the server handles them itself. A
// client or proxy that adds an unknown Expect would then fail every request.

import type { Server } from 'node:http';

/** Serves requests carrying an Expect other than 100-continue as if it were absent. */
export function ignoreUnknownExpectations(server: Server): void {
  server.on('checkExpectation', (req, res) => server.emit('request', req, res));
}
