import { ReplicaError } from '../errors.js';
import type { AppendReply, ReplyTarget } from './replica-events.js';
import type { ReplicaRef } from './replica-logic.js';

let counter = 0;

/**
 * appendTo proposes `entry` at the replica `ref` and resolves with its index once it is decided, or
 * rejects with the ReplicaError the replica answered (`Shutdown` if it is stopped, `Overflow`,
 * `StopSign`, `Escalated`). Aborting `signal` rejects with its reason; the entry may still be decided
 * (a proposal cannot be withdrawn), it is then delivered like any other. Use it from a `fromPromise`
 * client actor, or anywhere a promise is wanted.
 */
export function appendTo<T>(ref: ReplicaRef<T>, entry: T, options: { signal?: AbortSignal } = {}): Promise<{ idx: number }> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const requestId = `appendTo:${counter++}`;
  if (ref.getSnapshot().status !== 'active') return Promise.reject(new ReplicaError('Shutdown', requestId));
  return new Promise((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      reject(signal?.reason);
    };
    const replyTo: ReplyTarget = {
      send(reply: AppendReply) {
        if (settled || reply.requestId !== requestId) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (reply.type === 'omnipaxos.appended') resolve({ idx: reply.idx });
        else reject(reply.error);
      },
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    ref.send({ type: 'omnipaxos.append', entry, requestId, replyTo });
  });
}
