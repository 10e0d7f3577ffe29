import { type HistoryEvent, type Operation, pairOperations } from './history.js';
import { searchKey } from './search.js';

/** CheckOptions bound the search so that a hard history yields `unknown` instead of hanging. */
export interface CheckOptions {
  /** Keys with more operations than this are not searched (outcome unknown). Default 20,000. */
  maxOpsPerKey?: number;
  /** Search steps allowed per key before giving up (outcome unknown). Default 2,000,000. */
  maxStepsPerKey?: number;
}

/** CheckStats count what a check looked at. */
export interface CheckStats {
  /** Distinct keys in the history. */
  keys: number;
  /** Operations searched: `ok` ones plus writes with unknown outcome (failed ones and unknown reads are left out). */
  operations: number;
  /** Search steps taken over all keys. */
  steps: number;
}

/** Linearizable means some total order of the operations respects real time and the sequential model. */
export interface Linearizable extends CheckStats {
  ok: true;
}

/** NotLinearizable names the key where no linearization exists and shows how far the search got. */
export interface NotLinearizable extends CheckStats {
  ok: false;
  key: string;
  /** The longest partial linearization found, one operation per line with the value after it. */
  linearized: string[];
  /** Why the search could not extend that linearization. */
  explanation: string;
}

/** CheckUnknown means the search was cut off by a bound on some key; nothing is claimed. */
export interface CheckUnknown extends CheckStats {
  ok: 'unknown';
  key: string;
  reason: string;
}

/** CheckResult is the verdict of checkKvHistory. */
export type CheckResult = Linearizable | NotLinearizable | CheckUnknown;

/**
 * checkKvHistory decides whether a key-value history (put, get, delete, cas) is linearizable. Keys
 * are independent objects, so the history is split by key (linearizability is compositional) and
 * each key is searched on its own; a violation on any key is reported even when another key's
 * search was cut off. Throws HistoryError on a malformed history.
 */
export function checkKvHistory(history: readonly HistoryEvent[], options: CheckOptions = {}): CheckResult {
  const maxOps = options.maxOpsPerKey ?? 20_000;
  const maxSteps = options.maxStepsPerKey ?? 2_000_000;
  const byKey = new Map<string, Operation[]>();
  for (const o of pairOperations(history)) {
    const list = byKey.get(o.op.key);
    if (list) list.push(o);
    else byKey.set(o.op.key, [o]);
  }
  const stats: CheckStats = { keys: byKey.size, operations: 0, steps: 0 };
  let unknown: { key: string; reason: string } | undefined;
  for (const key of [...byKey.keys()].sort()) {
    const ops = byKey.get(key) as Operation[];
    stats.operations += ops.length;
    if (ops.length > maxOps) {
      unknown ??= { key, reason: `${ops.length} operations on key ${key}, above the bound of ${maxOps}` };
      continue;
    }
    const r = searchKey(ops, { maxSteps });
    stats.steps += r.steps;
    if (r.outcome === 'violation') {
      return { ok: false, key, linearized: r.linearized, explanation: r.explanation, ...stats };
    }
    if (r.outcome === 'unknown') unknown ??= { key, reason: r.reason };
  }
  return unknown ? { ok: 'unknown', ...unknown, ...stats } : { ok: true, ...stats };
}

/** formatCheckResult renders a verdict for test failures and logs. */
export function formatCheckResult(r: CheckResult): string {
  const counts = `${r.operations} operations on ${r.keys} keys, ${r.steps} steps`;
  if (r.ok === true) return `linearizable (${counts})`;
  if (r.ok === 'unknown') return `unknown on key ${r.key}: ${r.reason} (${counts})`;
  return [
    `not linearizable on key ${r.key} (${counts})`,
    'longest partial linearization:',
    ...r.linearized.map((l) => `  ${l}`),
    r.explanation,
  ].join('\n');
}
