import type { Message, NodeId } from '@omnipaxos/core';
import { describeInvalidMessage, validateMessage } from './validate-message.js';

/** InboundVerdict is a frame received on an established link: a message to deliver, or why not. */
export type InboundVerdict<T, S> = { ok: true; message: Message<T, S> } | { ok: false; reason: string };

/**
 * checkInbound decides whether a decoded frame from the link of `peer` may be delivered to `self`:
 * it must be a structurally valid message, from the handshaken pid, addressed to us, and pass the
 * application's `validate` check (a throwing check counts as a failure).
 */
export function checkInbound<T, S>(
  value: unknown,
  peer: NodeId,
  self: NodeId,
  validate: ((message: Message<T, S>) => boolean) | undefined,
): InboundVerdict<T, S> {
  if (!validateMessage(value)) return { ok: false, reason: `invalid message from pid ${peer}: ${describeInvalidMessage(value)}` };
  if (value.from !== peer) return { ok: false, reason: `message claims to be from pid ${value.from} on the link of pid ${peer}` };
  if (value.to !== self) return { ok: false, reason: `message from pid ${peer} is addressed to pid ${value.to}, not to us` };
  const message = value as Message<T, S>;
  if (validate !== undefined) {
    let ok = false;
    try {
      ok = validate(message);
    } catch {
      ok = false;
    }
    if (!ok) return { ok: false, reason: `message from pid ${peer} failed the validate option` };
  }
  return { ok: true, message };
}
