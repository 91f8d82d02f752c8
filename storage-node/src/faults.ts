// Fault modes: a real storage node behaving Byzantine on purpose, for tests
// (DESIGN §12). Switched on per node with --fault MODE (repeatable), refused
// unless the node also has --allow-faults. Each mode rewrites what the node
// answers; its stored state stays correct, so switching a mode off heals it.

import { ConfigError } from '../../shared/src/errors.js';

export const FAULT_MODES = [
  /** Corrupts t entries of the vec of every candidate it reports (still authentic: gateways re-sign). */
  'corrupt-vec',
  /** Flips a bit in every fragment block it serves. */
  'corrupt',
] as const;

export type FaultMode = (typeof FAULT_MODES)[number];

export class Faults {
  constructor(readonly modes: ReadonlySet<FaultMode>, private readonly index: number, private readonly S: number, private readonly t: number) {}

  static parse(values: readonly string[], allowed: boolean, index: number, S: number, t: number): Faults {
    if (values.length > 0 && !allowed) throw new ConfigError('--fault needs --allow-faults (fault modes make this node lie on purpose)');
    const modes = new Set<FaultMode>();
    for (const v of values.flatMap((x) => x.split(','))) {
      if (!(FAULT_MODES as readonly string[]).includes(v)) throw new ConfigError(`unknown fault mode "${v}" (known: ${FAULT_MODES.join(', ')})`);
      modes.add(v as FaultMode);
    }
    return new Faults(modes, index, S, t);
  }

  get any(): boolean {
    return this.modes.size > 0;
  }

  /** Rewrites a JSON answer of `route` before it is sent. */
  answer(route: string, body: Buffer): Buffer {
    if (this.modes.has('corrupt') && route === '/v1/filter') {
      const j = JSON.parse(body.toString('utf8')) as { fragment?: string };
      if (!j.fragment) return body;
      j.fragment = this.blocks(Buffer.from(j.fragment, 'base64')).toString('base64');
      return Buffer.from(JSON.stringify(j));
    }
    if (!this.modes.has('corrupt-vec') || route !== '/v1/collect') return body;
    const j = JSON.parse(body.toString('utf8')) as { lc: { vec: string[] } | null };
    if (j.lc) {
      for (let n = 1; n <= this.t; n++) j.lc.vec[(this.index + n) % this.S] = 'ab'.repeat(32);
    }
    return Buffer.from(JSON.stringify(j));
  }

  /** Rewrites fragment bytes being served. */
  blocks(chunk: Buffer): Buffer {
    if (!this.modes.has('corrupt') || chunk.length === 0) return chunk;
    const c = Buffer.from(chunk);
    c[c.length - 1]! ^= 0x01;
    return c;
  }
}
