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

/** A request sender: signed as one user, or anonymous. */
export type Sender = (method: Method, target: string, body?: Buffer | string, headers?: Record<string, string>) => request.Test;

const ALICE: Creds = { accessKey: 'alice-key', secretKey: 'alice-secret-0123456789', region: 'us-east-1' };
const BOB: Creds = { accessKey: 'bob-key', secretKey: 'bob-secret-0123456789', region: 'us-east-1' };

export interface TwoUserApp {
  readonly close: () => Promise<void>;
  /** Signed as user alice, as user bob, and with no credentials at all. */
  readonly alice: Sender;
  readonly bob: Sender;
  readonly anon: Sender;
}

/** The real app over a simulated cluster with two users, for access-control tests. */
export function twoUserApp(): TwoUserApp {
  const { app, close } = testApp(simCluster(1).gateway({ blockSize: 4096 }), [
    { accessKey: ALICE.accessKey, secretKey: ALICE.secretKey, user: 'alice' },
    { accessKey: BOB.accessKey, secretKey: BOB.secretKey, user: 'bob' },
  ]);
  const as = (c: Creds | null): Sender => (method, target, body, headers = {}) => {
    const b = typeof body === 'string' ? Buffer.from(body) : body;
    let r = request(app)[method.toLowerCase() as 'get' | 'put' | 'head' | 'delete' | 'post'](target).set('host', HOST);
    const h = c ? signV4(HOST, { method, target, headers, ...(b ? { body: b } : {}) }, c).headers : headers;
    for (const [k, v] of Object.entries(h)) r = r.set(k, v);
    return b ? r.send(b) : r;
  };
  return { close, alice: as(ALICE), bob: as(BOB), anon: as(null) };
}

export function xmlCode(text: string): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
}

export function xmlText(text: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
}
