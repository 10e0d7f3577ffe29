import { describeOperation, type Operation } from './history.js';
import { describeKeyState, type KeyState, REJECTED, stepKey, whyRejected } from './kv-model.js';

/** Entry is a call or return event of one operation in the doubly linked event list (dancing links). */
interface Entry {
  /** Index of the operation in the key's operation array. */
  op: number;
  isCall: boolean;
  /** For a call: its return entry, absent when the outcome is unknown (it never has to be linearized). */
  match: Entry | undefined;
  prev: Entry | undefined;
  next: Entry | undefined;
}

/** KeySearchOptions bound the search on one key. */
export interface KeySearchOptions {
  /** Give up (unknown) after this many search steps. */
  maxSteps: number;
}

/** KeySearchResult is the outcome of the search on one key's operations. */
export type KeySearchResult =
  | { outcome: 'linearizable'; steps: number }
  | { outcome: 'unknown'; steps: number; reason: string }
  | { outcome: 'violation'; steps: number; linearized: string[]; explanation: string };

/** Bitset is the set of linearized operations, hashed together with the model state for the cache. */
class Bitset {
  private readonly words: Uint32Array;
  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32) || 1);
  }
  set(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] as number) | (1 << (i & 31));
  }
  clear(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] as number) & ~(1 << (i & 31));
  }
  key(): string {
    return this.words.join(',');
  }
}

function buildList(ops: readonly Operation[]): Entry {
  const head: Entry = { op: -1, isCall: false, match: undefined, prev: undefined, next: undefined };
  const events: { pos: number; e: Entry }[] = [];
  ops.forEach((o, i) => {
    const call: Entry = { op: i, isCall: true, match: undefined, prev: undefined, next: undefined };
    events.push({ pos: o.call, e: call });
    if (o.known) {
      call.match = { op: i, isCall: false, match: undefined, prev: undefined, next: undefined };
      events.push({ pos: o.ret, e: call.match });
    }
  });
  events.sort((a, b) => a.pos - b.pos);
  let prev = head;
  for (const { e } of events) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  return head;
}

/** lift takes a call and its return out of the list; their own links are kept for unlift. */
function lift(call: Entry): void {
  (call.prev as Entry).next = call.next;
  if (call.next) call.next.prev = call.prev;
  const ret = call.match;
  if (ret) {
    (ret.prev as Entry).next = ret.next;
    if (ret.next) ret.next.prev = ret.prev;
  }
}

/** unlift puts back what lift took out (in reverse order). */
function unlift(call: Entry): void {
  const ret = call.match;
  if (ret) {
    (ret.prev as Entry).next = ret;
    if (ret.next) ret.next.prev = ret;
  }
  (call.prev as Entry).next = call;
  if (call.next) call.next.prev = call;
}

/**
 * searchKey decides whether one key's operations are linearizable, by the Wing–Gong search with
 * Lowe's memoization (as in Porcupine): walk the pending calls in real-time order, tentatively
 * linearize one whose result the model accepts, and backtrack when a return is reached whose
 * operation is not yet linearized. A (linearized set, value) pair already explored is never
 * explored again. Operations with unknown outcome have no return: they may be linearized at any
 * point after their call, or never.
 */
export function searchKey(ops: readonly Operation[], options: KeySearchOptions): KeySearchResult {
  const head = buildList(ops);
  const bits = new Bitset(ops.length);
  const cache = new Set<string>();
  const stack: { entry: Entry; state: KeyState }[] = [];
  let state: KeyState = undefined;
  let knownLeft = ops.filter((o) => o.known).length;
  let best: number[] = [];
  let steps = 0;
  let entry = head.next;
  while (knownLeft > 0) {
    if (++steps > options.maxSteps) {
      return { outcome: 'unknown', steps, reason: `search budget of ${options.maxSteps} steps exhausted` };
    }
    if (entry === undefined) throw new Error('linearizability search ran off the event list');
    if (entry.isCall) {
      const o = ops[entry.op] as Operation;
      const next = stepKey(state, o);
      if (next !== REJECTED) {
        bits.set(entry.op);
        const k = `${bits.key()}|${next === undefined ? '-' : `=${next}`}`;
        if (!cache.has(k)) {
          cache.add(k);
          stack.push({ entry, state });
          state = next;
          lift(entry);
          if (o.known) knownLeft -= 1;
          if (stack.length > best.length) best = stack.map((s) => s.entry.op);
          entry = head.next;
          continue;
        }
        bits.clear(entry.op);
      }
      entry = entry.next;
      continue;
    }
    // A return whose operation is not linearized yet: undo the last choice.
    const top = stack.pop();
    if (!top) return { outcome: 'violation', steps, ...explain(ops, best) };
    state = top.state;
    bits.clear(top.entry.op);
    unlift(top.entry);
    if ((ops[top.entry.op] as Operation).known) knownLeft += 1;
    entry = top.entry.next;
  }
  return { outcome: 'linearizable', steps };
}

/**
 * explain describes the longest partial linearization found: the operations in order with the
 * value after each, then the earliest-returning operation left out and why none of the operations
 * that could come next fits.
 */
function explain(ops: readonly Operation[], best: number[]): { linearized: string[]; explanation: string } {
  let state: KeyState = undefined;
  const linearized: string[] = [];
  for (const i of best) {
    const o = ops[i] as Operation;
    state = stepKey(state, o) as KeyState;
    linearized.push(`${describeOperation(o)}  => ${describeKeyState(state)}`);
  }
  const done = new Set(best);
  const rest = ops.map((o, i) => ({ o, i })).filter(({ i }) => !done.has(i));
  const blocking = rest.filter(({ o }) => o.known).sort((a, b) => a.o.ret - b.o.ret)[0];
  if (!blocking) return { linearized, explanation: 'no operation left to linearize' };
  const lines = [
    `after ${best.length} operation(s) the value is ${describeKeyState(state)}; ${describeOperation(blocking.o)} must take effect before it returns, but no operation fits next:`,
  ];
  for (const { o } of rest) {
    if (o.call > blocking.o.ret) continue;
    const next = stepKey(state, o);
    lines.push(`  ${describeOperation(o)}: ${next === REJECTED ? whyRejected(state, o) : 'fits, but every continuation fails'}`);
  }
  return { linearized, explanation: lines.join('\n') };
}
