// The image's health check: GET one URL on this container, healthy (exit 0)
// only on 200. One image serves both roles, so the URL says which:
//   gateway: http://127.0.0.1:9000/_powerstore/live  (the default)
//   node:    https://127.0.0.1:7000/healthz           (http:// without --tls-nodes)
// from the first argument, else POWERSTORE_HEALTHCHECK_URL. Neither needs a
// token. A node's certificate names its host, not 127.0.0.1, and this only
// asks whether the process on this container answers: it does not verify
// the certificate (the gateways do, against the node CA).
import http from 'node:http';
import https from 'node:https';
import process from 'node:process';
import { URL } from 'node:url';

const url = new URL(process.argv[2] ?? process.env.POWERSTORE_HEALTHCHECK_URL ?? 'http://127.0.0.1:9000/_powerstore/live');
const get = url.protocol === 'https:' ? https.get : http.get;
const req = get(url, { rejectUnauthorized: false, timeout: 4000 }, (res) => {
  res.resume();
  if (res.statusCode !== 200) process.stderr.write(`unhealthy: ${url.href} answered ${res.statusCode}\n`);
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('no answer within 4 s')));
req.on('error', (e) => {
  process.stderr.write(`unhealthy: ${url.href}: ${e.message}\n`);
  process.exit(1);
});
