// Records a history as clients run: call invoke() just before sending a
// request and complete()/fail() once its outcome is known. One recorder
// (one clock) must serve all clients of a history, so all clients of a test
// run in the process that owns it; the gateways they talk to may be anywhere.

import type { ListResult, Observed, Operation, OpKind, ValueId } from './history.js';

/** A monotonic clock; times from it must be comparable across clients. */
export type Clock = () => number;

/** Returned by invoke(); pass it to complete() or fail() exactly once. */
export interface OpHandle<K extends OpKind = OpKind> {
  readonly id: number;
  readonly kind: K;
}

/** complete()'s result argument by kind: none for writes. */
export type CompletionArgs<K extends OpKind> = K extends 'get' | 'head'
  ? [result: Observed]
  : K extends 'list'
    ? [result: ListResult]
    : [result?: undefined];

type Mutable<T> = { -readonly [P in keyof T]: T[P] };

interface Slot {
  op: Mutable<Operation>;
  settled: boolean;
}

export class HistoryRecorder {
  private readonly slots: Slot[] = [];

  /** `clock` defaults to performance.now() (monotonic, ms). */
  constructor(private readonly clock: Clock = () => performance.now()) {}

  invoke(client: string, kind: 'put', key: string, value: ValueId): OpHandle<'put'>;
  invoke<K extends 'delete' | 'get' | 'head'>(client: string, kind: K, key: string): OpHandle<K>;
  invoke(client: string, kind: 'list', keys: readonly string[]): OpHandle<'list'>;
  invoke(client: string, kind: OpKind, keyOrKeys: string | readonly string[], value?: ValueId): OpHandle {
    const invoke = this.clock();
    let op: Mutable<Operation>;
    if (kind === 'list') {
      op = { kind, client, invoke, keys: [...(keyOrKeys as readonly string[])] };
    } else {
      const key = keyOrKeys as string;
      if (kind === 'put') {
        if (value === undefined) throw new TypeError('put needs a value id');
        op = { kind, client, invoke, key, value };
      } else {
        op = { kind, client, invoke, key };
      }
    }
    this.slots.push({ op, settled: false });
    return { id: this.slots.length - 1, kind };
  }

  /** The operation returned: reads and lists with what they saw. */
  complete<K extends OpKind>(handle: OpHandle<K>, ...args: CompletionArgs<K>): void {
    const complete = this.clock();
    const slot = this.unsettled(handle);
    const [result] = args as [Observed | ListResult | undefined];
    if (slot.op.kind === 'get' || slot.op.kind === 'head') {
      if (result !== null && typeof result !== 'string') throw new TypeError(`${slot.op.kind} needs a result (value id or null)`);
      slot.op.result = result;
    } else if (slot.op.kind === 'list') {
      if (result === null || typeof result !== 'object') throw new TypeError('list needs a result');
      slot.op.result = result instanceof Map ? new Map(result) : { ...result };
    }
    slot.op.complete = complete;
    slot.settled = true;
  }

  /** The outcome is unknown (error, timeout, crash): it may or may not have taken effect. */
  fail(handle: OpHandle): void {
    this.unsettled(handle).settled = true;
  }

  /** A snapshot of the history so far; operations still in flight appear with unknown outcome. */
  ops(): Operation[] {
    return this.slots.map(({ op }) => {
      const copy = { ...op };
      if (copy.kind === 'list') copy.keys = [...copy.keys];
      return copy as Operation;
    });
  }

  private unsettled(handle: OpHandle): Slot {
    const slot = this.slots[handle.id];
    if (slot === undefined || slot.op.kind !== handle.kind) throw new RangeError(`unknown handle ${handle.id}`);
    if (slot.settled) throw new RangeError(`operation ${handle.id} already completed or failed`);
    return slot;
  }
}
