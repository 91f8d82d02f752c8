// Terse constructors for hand-written test histories. Times are
// [invoke, complete]; [invoke] alone means the outcome is unknown.

import type { Observed, Operation } from '../history.js';

type Span = readonly [number, number?];

export function put(key: string, value: string, [invoke, complete]: Span, client = 'c0'): Operation {
  return { kind: 'put', client, key, value, invoke, complete };
}

export function del(key: string, [invoke, complete]: Span, client = 'c0'): Operation {
  return { kind: 'delete', client, key, invoke, complete };
}

export function get(key: string, result: Observed, [invoke, complete]: Span, client = 'c1'): Operation {
  return { kind: 'get', client, key, result, invoke, complete };
}

export function head(key: string, result: Observed, [invoke, complete]: Span, client = 'c1'): Operation {
  return { kind: 'head', client, key, result, invoke, complete };
}

export function list(keys: readonly string[], shown: Record<string, string>, [invoke, complete]: Span, client = 'c2'): Operation {
  return { kind: 'list', client, keys, result: shown, invoke, complete };
}
