/**
 * SequenceNumber orders the accept messages a leader sends one follower: `session` grows with each
 * AcceptSync, `counter` with each message after it. A follower that sees a gap asks to resync.
 */
export interface SequenceNumber {
  session: number;
  counter: number;
}

/** MessageStatus is how a received sequence number relates to the last one taken. */
export type MessageStatus = 'Expected' | 'DroppedPreceding' | 'Outdated';

/** checkSequence classifies `received` against the last taken sequence number `current`. */
export function checkSequence(current: SequenceNumber, received: SequenceNumber): MessageStatus {
  if (received.session === current.session && received.counter === current.counter + 1) return 'Expected';
  if (
    received.session < current.session ||
    (received.session === current.session && received.counter <= current.counter)
  ) {
    return 'Outdated';
  }
  return 'DroppedPreceding';
}
