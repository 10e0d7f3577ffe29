import type { NodeId } from '@omnipaxos/core';
import type { Carried, KindValidators } from './options.js';
import { describeInvalidMessage, validateMessage } from './validate-message.js';

/** InboundVerdict is a frame received on an established link: a message to deliver, or why not. */
export type InboundVerdict<T, S> = { ok: true; message: Carried<T, S> } | { ok: false; reason: string };

function structuralCheck(value: unknown, peer: NodeId, extraKinds: KindValidators | undefined): string | undefined {
  const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
  if (typeof kind === 'string' && extraKinds !== undefined && Object.hasOwn(extraKinds, kind)) {
    const check = extraKinds[kind];
    let ok = false;
    try {
      ok = check !== undefined && check(value);
    } catch {
      ok = false;
    }
    return ok ? undefined : `invalid message from pid ${peer}: malformed ${kind.slice(0, 40)} message`;
  }
  return validateMessage(value) ? undefined : `invalid message from pid ${peer}: ${describeInvalidMessage(value)}`;
}

/**
 * checkInbound decides whether a decoded frame from the link of `peer` may be delivered to `self`:
 * it must be a structurally valid message (a core message, or one of the `extraKinds`), from the
 * handshaken pid, addressed to us, and pass the application's `validate` check (a throwing check
 * counts as a failure).
 */
export function checkInbound<T, S>(
  value: unknown,
  peer: NodeId,
  self: NodeId,
  validate: ((message: Carried<T, S>) => boolean) | undefined,
  extraKinds?: KindValidators,
): InboundVerdict<T, S> {
  const invalid = structuralCheck(value, peer, extraKinds);
  if (invalid !== undefined) return { ok: false, reason: invalid };
  const { from, to } = value as { from: NodeId; to: NodeId };
  if (from !== peer) return { ok: false, reason: `message claims to be from pid ${from} on the link of pid ${peer}` };
  if (to !== self) return { ok: false, reason: `message from pid ${peer} is addressed to pid ${to}, not to us` };
  const message = value as Carried<T, S>;
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
