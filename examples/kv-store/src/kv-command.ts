/** KvCommand is one entry of the replicated log: every operation, reads included, goes through it. */
export type KvCommand =
  | { op: 'put'; key: string; value: string }
  | { op: 'get'; key: string }
  | { op: 'delete'; key: string }
  | { op: 'cas'; key: string; expected: string | null; value: string | null };

/** KvResult is what applying a command returns to the client that proposed it. */
export type KvResult =
  | { op: 'put'; previous: string | null }
  | { op: 'get'; value: string | null }
  | { op: 'delete'; existed: boolean }
  | { op: 'cas'; ok: boolean; current: string | null };

const isStr = (x: unknown): x is string => typeof x === 'string';
const isStrOrNull = (x: unknown): x is string | null => x === null || typeof x === 'string';

/** isKvCommand is the structural check of a log entry (used as the transport's `validate` too). */
export function isKvCommand(x: unknown): x is KvCommand {
  if (typeof x !== 'object' || x === null) return false;
  const c = x as Record<string, unknown>;
  if (!isStr(c.key)) return false;
  switch (c.op) {
    case 'put': return isStr(c.value);
    case 'get': case 'delete': return true;
    case 'cas': return isStrOrNull(c.expected) && isStrOrNull(c.value);
    default: return false;
  }
}
