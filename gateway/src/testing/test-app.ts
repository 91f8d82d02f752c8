// The real S3 app (assembleApp: the one the gateway serves) over a protocol
// context, for handler tests: simulated nodes, silent logs, fresh metrics,
// region us-east-1; options override any of it.

import type { Express } from 'express';
import { createLogger } from '@powerstore/shared/log.js';
import { assembleApp, type AppOptions } from '../gateway.js';
import { GatewayMetrics, NodeTally } from '../metrics.js';
import type { ProtocolContext } from '../protocol/context.js';

export interface TestUser {
  readonly accessKey: string;
  readonly secretKey: string;
  readonly user: string;
}

export function testApp(ctx: ProtocolContext, users: readonly TestUser[], opts: Partial<AppOptions> = {}): { app: Express; close: () => Promise<void> } {
  return assembleApp(ctx, {
    region: 'us-east-1', credentials: [...users], log: createLogger('test-app', 'silent'),
    metrics: new GatewayMetrics(), tally: new NodeTally(), ...opts,
  });
}
