// The gateway's HTTP application (express): admin endpoints under
// /_powerstore/ (no bucket can take that name: underscores are not valid in
// bucket names) and everything else to the S3 edge. /_powerstore/live is
// anonymous and says only that the process serves; /_powerstore/health and
// /_powerstore/metrics tell about the whole cluster (node URLs, object
// counts, traffic) and need `Authorization: Bearer <admin token>` (review
// F11); without a configured token they answer no one. /_powerstore/ is the
// status page (status-page.ts), with /_powerstore/status.json under it.
// Virtual-hosted requests always go to S3, even for /_powerstore/ paths,
// which there are just object keys.

import express, { type Express } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeApi } from '@powerstore/shared/node-api.js';
import type { ClusterParams } from '@powerstore/shared/protocol/params.js';
import { isAdmin } from './admin/admin-auth.js';
import { cachedFor } from './admin/cached.js';
import { healthReport, type Census } from './admin/health.js';
import type { Samples } from './admin/samples.js';
import { STATUS_PAGE_HTML } from './admin/status-page.js';
import type { GatewayMetrics, NodeTally } from './metrics.js';
import type { S3Context } from './s3/context.js';
import { handleS3, newRequestId, type EdgeDeps } from './s3/http.js';
import { ADMIN_PREFIX } from './s3/router.js';

export interface AppDeps {
  readonly s3: S3Context;
  readonly edge: EdgeDeps;
  readonly params: ClusterParams;
  readonly nodes: readonly (NodeApi & { url?: string })[];
  readonly tally: NodeTally;
  readonly metrics: GatewayMetrics;
  readonly writerId: string;
  /** The Redis part of health (live gateways, Redis status); absent: no Redis. */
  readonly census?: Census;
  /** Bearer token of health and metrics; absent: they answer 401 to everyone. */
  readonly adminToken?: string;
  /** The status page's plots (admin/samples.ts); absent: the page shows no history. */
  readonly samples?: Samples;
}

/** How long one health report answers every caller: a flood of requests asks each node about once a second. */
const HEALTH_CACHE_MS = 1000;

function isVirtualHost(req: IncomingMessage, domain: string | undefined): boolean {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  return domain !== undefined && host.endsWith(`.${domain.toLowerCase()}`);
}

export function createApp(d: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if ((path.startsWith(ADMIN_PREFIX) || path === ADMIN_PREFIX.slice(0, -1)) && !isVirtualHost(req, d.s3.config.domain)) {
      res.setHeader('x-amz-request-id', newRequestId());
      next();
      return;
    }
    void handleS3(d.s3, d.edge, req as IncomingMessage, res as ServerResponse);
  });

  // A bare liveness probe: no node is asked, nothing about the cluster is said.
  app.get(`${ADMIN_PREFIX}live`, (_req, res) => {
    res.json({ ok: true });
  });

  // Everything under /_powerstore/ but live needs the admin token. The status
  // page asks a browser for it (Basic: any user name, the token as password).
  app.use((req, res, next) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path === `${ADMIN_PREFIX}live` || isAdmin(req.headers.authorization, d.adminToken)) {
      next();
      return;
    }
    const page = path === ADMIN_PREFIX || path === ADMIN_PREFIX.slice(0, -1);
    res.status(401).set('www-authenticate', page ? 'Basic realm="powerstore-admin", charset="UTF-8"' : 'Bearer realm="powerstore-admin"')
      .json({ error: d.adminToken === undefined ? 'admin endpoints are off: no admin token is configured' : 'admin token required' });
  });

  app.get(ADMIN_PREFIX, (req, res) => {
    // Express matches /_powerstore and /_powerstore/ alike; the page's relative fetch needs the slash.
    if (!(req.originalUrl.split('?')[0] ?? '').endsWith('/')) {
      res.redirect(301, ADMIN_PREFIX);
      return;
    }
    res.set('cache-control', 'no-store').set('content-security-policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
      .type('html').send(STATUS_PAGE_HTML);
  });

  const health = cachedFor(HEALTH_CACHE_MS, () => healthReport(d.params, d.nodes, d.tally, d.writerId, d.census));
  app.get(`${ADMIN_PREFIX}health`, (_req, res) => {
    health().then(
      (h) => res.status(h.status === 'unavailable' ? 503 : 200).json(h),
      (err: unknown) => res.status(500).json({ error: String(err) }),
    );
  });

  app.get(`${ADMIN_PREFIX}status.json`, (_req, res) => {
    health().then(
      (h) => res.set('cache-control', 'no-store').json({
        status: h.status, t: h.t, writer: h.writer, nodes: h.nodes, usage: h.usage, samples: d.samples?.all() ?? [],
      }),
      (err: unknown) => res.status(500).json({ error: String(err) }),
    );
  });

  app.get(`${ADMIN_PREFIX}metrics`, (_req, res) => {
    d.metrics.registry.metrics().then(
      (text) => res.type(d.metrics.registry.contentType).send(text),
      (err: unknown) => res.status(500).send(String(err)),
    );
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'no such admin endpoint' });
  });
  return app;
}
