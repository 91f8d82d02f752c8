// A storage node's Prometheus metrics, on its own registry.

import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class NodeMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'powerstore_node_requests_total',
    help: 'Node protocol requests by route and HTTP status',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  /** Protocol messages by route: a batch request carries many (its own route is /v1/batch above). */
  readonly messages = new Counter({
    name: 'powerstore_node_messages_total',
    help: 'Node protocol messages by route, alone or in a batch',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'powerstore_node_request_seconds',
    help: 'Node request latency by route',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly storedBytes = new Counter({
    name: 'powerstore_node_fragment_bytes_total',
    help: 'Fragment bytes durably stored',
    registers: [this.registry],
  });
  readonly rejectedStores = new Counter({
    name: 'powerstore_node_store_rejected_total',
    help: 'Store requests refused (bad MAC, fragment not matching cc, conflicting Hist entry)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'powerstore_node_auth_failures_total',
    help: 'Requests refused for failed authentication',
    registers: [this.registry],
  });

  constructor(node: number) {
    this.registry.setDefaultLabels({ node: String(node) });
    collectDefaultMetrics({ register: this.registry });
  }
}
