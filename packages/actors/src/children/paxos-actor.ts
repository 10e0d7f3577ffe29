import type { PaxosActorEvent } from '../events.js';
import { PaxosDriver, type PaxosActorInput } from './paxos-driver.js';
import { driverLogic } from './actor-logic.js';

/**
 * paxosActorLogic is the Paxos actor: a SequencePaxos behind `omnipaxos.*` events (leader, message,
 * append, reconfigure, tick). It reports `omnipaxos.decided` / `omnipaxos.status` / `omnipaxos.rejected`
 * to its supervisor, and sends replica messages through the transport — acknowledgements only after
 * `storage.flush()`; see PaxosDriver for the pipelined leader.
 */
export function paxosActorLogic<T>() {
  return driverLogic<PaxosDriver<T>, PaxosActorEvent<T>, PaxosActorInput<T>>((input) => new PaxosDriver(input));
}
