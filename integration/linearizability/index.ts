// Linearizability checker for S3 register histories (put/delete/get/head/
// list by concurrent clients against several gateways). Each key is an
// independent atomic register, initially absent; lists are checked by their
// per-key projection. See history.ts for the history contract and check.ts
// for the result contract.
//
//   const rec = new HistoryRecorder();
//   const h = rec.invoke('client-1', 'put', 'photos/a', valueId);
//   try { await s3.putObject(...); rec.complete(h); } catch { rec.fail(h); }
//   ...
//   const { ok, unknown, violations } = checkHistory(rec.ops());

export type {
  DeleteOp,
  ListOp,
  ListResult,
  Observed,
  Operation,
  OpKind,
  PutOp,
  ReadOp,
  ValueId,
} from './history.js';
export { checkHistory, DEFAULT_MAX_STEPS_PER_KEY, DEFAULT_TIME_LIMIT_MS } from './check.js';
export type { CheckOptions, CheckResult, Violation } from './check.js';
export { HistoryRecorder } from './recorder.js';
export type { Clock, CompletionArgs, OpHandle } from './recorder.js';
