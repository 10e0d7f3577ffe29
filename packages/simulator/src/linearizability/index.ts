export { checkKvHistory, type CheckOptions, type CheckResult, type CheckStats, type CheckUnknown, formatCheckResult, type Linearizable, type NotLinearizable } from './check.js';
export {
  type ClientId,
  type CompletionEvent,
  describeOperation,
  HistoryError,
  type HistoryEvent,
  type InvokeEvent,
  type KvOperation,
  type KvResult,
  type Operation,
  pairOperations,
} from './history.js';
export { HistoryRecorder, type HistoryRecorderOptions } from './history-recorder.js';
export { type KeyState, REJECTED, stepKey } from './kv-model.js';
