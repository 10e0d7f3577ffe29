import type { Operation } from './history.js';

/** KeyState is the value of one key in the sequential model: undefined when the key is absent. */
export type KeyState = string | undefined;

/** REJECTED is what `stepKey` returns when an operation cannot take effect in the given state. */
export const REJECTED: unique symbol = Symbol('rejected');

/**
 * stepKey applies `o` to the value of its key in the sequential key-value model and returns the
 * next value, or REJECTED when the recorded result contradicts the model (a read of another
 * value, a cas that reported the wrong outcome). An operation with an unknown outcome never
 * contradicts the model: a cas with unknown outcome swaps exactly when the value matches.
 */
export function stepKey(state: KeyState, o: Operation): KeyState | typeof REJECTED {
  const op = o.op;
  switch (op.f) {
    case 'put':
      return op.value;
    case 'delete':
      return undefined;
    case 'get':
      return !o.known || o.result === state ? state : REJECTED;
    case 'cas': {
      const swaps = state === op.expected;
      if (o.known && o.result !== swaps) return REJECTED;
      return swaps ? op.value : state;
    }
  }
}

/** whyRejected explains, in words, why `o` cannot take effect when its key holds `state`. */
export function whyRejected(state: KeyState, o: Operation): string {
  const v = state === undefined ? 'absent' : JSON.stringify(state);
  if (o.op.f === 'get') return `it read ${o.result === undefined ? 'nothing' : JSON.stringify(o.result)} but the value is ${v}`;
  if (o.op.f === 'cas') return `it reported ${String(o.result)} but the value is ${v}`;
  return 'it cannot be rejected';
}

/** describeState renders a key's value for explanations. */
export function describeKeyState(state: KeyState): string {
  return state === undefined ? 'absent' : JSON.stringify(state);
}
