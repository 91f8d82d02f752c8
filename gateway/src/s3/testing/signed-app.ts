// Test support for handler tests: the real app (testApp) over a simulated
// cluster, and supertest requests signed with SigV4 independently of the
// gateway's verifier (integration/harness/raw.ts).

import type { Express } from 'express';
import request from 'supertest';
import { signV4, type Creds } from '../../../../integration/harness/raw.js';
import type { AppOptions } from '../../gateway.js';
import { simCluster } from '../../protocol/testing/sim-cluster.js';
import { testApp } from '../../testing/test-app.js';

export type Method = 'GET' | 'PUT' | 'HEAD' | 'DELETE' | 'POST';

export interface SignedApp {
  readonly app: Express;
  readonly close: () => Promise<void>;
  /** A request signed for the app's user. */
  send(method: Method, target: string, body?: Buffer, headers?: Record<string, string>): request.Test;
}

export const HOST = 'gateway.test';

export function signedApp(name: string, opts: Partial<AppOptions> = {}): SignedApp {
  const creds: Creds = { accessKey: `${name}-key`, secretKey: `${name}-secret-0123456789`, region: opts.region ?? 'us-east-1' };
  const { app, close } = testApp(simCluster(1).gateway({ blockSize: 4096 }), [
    { accessKey: creds.accessKey, secretKey: creds.secretKey, user: 'alice' },
  ], opts);
  return {
    app, close,
    send(method, target, body, headers = {}) {
      const s = signV4(HOST, { method, target, headers, ...(body ? { body } : {}) }, creds);
      let r = request(app)[method.toLowerCase() as 'get' | 'put' | 'head' | 'delete' | 'post'](target);
      for (const [k, v] of Object.entries(s.headers)) r = r.set(k, v);
      return body ? r.send(body) : r;
    },
  };
}

export function xmlCode(text: string): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
}

export function xmlText(text: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
}
