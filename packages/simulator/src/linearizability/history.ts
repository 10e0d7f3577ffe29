/** ClientId names the client (process) that issued an operation. */
export type ClientId = number | string;

/**
 * KvOperation is one key-value request: `put` stores a value, `get` reads it, `delete` removes it,
 * and `cas` replaces the value with `value` only when it currently equals `expected`.
 */
export type KvOperation =
  | { f: 'put'; key: string; value: string }
  | { f: 'get'; key: string }
  | { f: 'delete'; key: string }
  | { f: 'cas'; key: string; expected: string; value: string };

/** KvResult is what an operation returned: the value read (get), whether it swapped (cas), or nothing. */
export type KvResult = string | boolean | undefined;

/** HistoryEventBase holds the fields every history event carries. */
interface HistoryEventBase {
  /** The client that issued the operation. */
  client: ClientId;
  /** Unique id of the operation, shared by its invoke and its completion. */
  opId: string;
  /** Logical timestamp: events are ordered by time, then by their position in the history. */
  time: number;
}

/** InvokeEvent records that a client issued `op`. */
export interface InvokeEvent extends HistoryEventBase {
  type: 'invoke';
  op: KvOperation;
}

/**
 * CompletionEvent ends an operation: `ok` (applied, with its result), `fail` (definitely not
 * applied) or `info` (unknown: it may take effect at any time after its invoke, or never).
 */
export interface CompletionEvent extends HistoryEventBase {
  type: 'ok' | 'fail' | 'info';
  /** For an `ok` get: the value read (undefined when the key is absent); for an `ok` cas: whether it swapped. */
  result?: KvResult;
}

/** HistoryEvent is one line of a recorded history. */
export type HistoryEvent = InvokeEvent | CompletionEvent;

/** HistoryError reports a malformed history (a completion without invoke, a reused op id, ...). */
export class HistoryError extends Error {
  override readonly name = 'HistoryError';
}

/**
 * Operation is an invoke paired with its completion. `ret` is the position of the completion in
 * the event order, or Infinity when the outcome is unknown (`info`, or no completion at all).
 */
export interface Operation {
  opId: string;
  client: ClientId;
  op: KvOperation;
  /** Position of the invoke in the total event order. */
  call: number;
  /** Position of the `ok` in the total event order; Infinity when the outcome is unknown. */
  ret: number;
  /** True when the operation completed `ok`, so its result is known and it must be linearized. */
  known: boolean;
  result?: KvResult;
}

function checkResult(e: CompletionEvent, op: KvOperation): void {
  const r = e.result;
  if (op.f === 'cas' && typeof r !== 'boolean') {
    throw new HistoryError(`ok of cas ${e.opId} needs a boolean result, got ${String(r)}`);
  }
  if (op.f === 'get' && r !== undefined && typeof r !== 'string') {
    throw new HistoryError(`ok of get ${e.opId} needs a string or undefined result, got ${String(r)}`);
  }
}

/**
 * pairOperations turns a history into operations: `fail`ed operations are dropped (they had no
 * effect), `info` and never-completed operations get an unknown outcome, and reads with an unknown
 * outcome are dropped (a read changes nothing). Events are ordered by time, ties by position.
 * Throws HistoryError on a malformed history.
 */
export function pairOperations(history: readonly HistoryEvent[]): Operation[] {
  const order = history.map((e, i) => ({ e, i }));
  order.sort((a, b) => a.e.time - b.e.time || a.i - b.i);
  const open = new Map<string, Operation>();
  const done = new Set<string>();
  const out: Operation[] = [];
  order.forEach(({ e }, pos) => {
    if (e.type === 'invoke') {
      if (open.has(e.opId) || done.has(e.opId)) throw new HistoryError(`operation ${e.opId} invoked twice`);
      open.set(e.opId, { opId: e.opId, client: e.client, op: e.op, call: pos, ret: Infinity, known: false });
      return;
    }
    const o = open.get(e.opId);
    if (!o) throw new HistoryError(`${e.type} of ${e.opId} without a pending invoke`);
    open.delete(e.opId);
    done.add(e.opId);
    if (e.type === 'fail') return;
    if (e.type === 'ok') {
      checkResult(e, o.op);
      o.ret = pos;
      o.known = true;
      if ('result' in e) o.result = e.result;
    }
    out.push(o);
  });
  for (const o of open.values()) out.push(o);
  return out.filter((o) => o.known || o.op.f !== 'get').sort((a, b) => a.call - b.call);
}

/** describeOperation renders an operation like `c1 cas(x, "a", "b") -> true`. */
export function describeOperation(o: Operation): string {
  const q = (v: string | undefined): string => (v === undefined ? 'undefined' : JSON.stringify(v));
  const op = o.op;
  const call =
    op.f === 'put'
      ? `put(${op.key}, ${q(op.value)})`
      : op.f === 'get'
        ? `get(${op.key})`
        : op.f === 'delete'
          ? `delete(${op.key})`
          : `cas(${op.key}, ${q(op.expected)}, ${q(op.value)})`;
  const res = !o.known ? ' -> ?' : op.f === 'get' ? ` -> ${q(o.result as string | undefined)}` : op.f === 'cas' ? ` -> ${String(o.result)}` : '';
  return `${o.opId} (client ${o.client}) ${call}${res}`;
}
