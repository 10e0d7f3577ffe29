import type { NodeId } from './node-id.js';

/**
 * Ballot is a leader's round: `n` is the round number, `priority` lets an operator prefer a server,
 * `pid` breaks ties. Ballots are ordered by (n, priority, pid); `configId` names the configuration the
 * ballot belongs to and takes no part in the order.
 */
export interface Ballot {
  configId: number;
  n: number;
  priority: number;
  pid: NodeId;
}

/** ZERO_BALLOT is the ballot before any promise: smaller than every ballot a server can hold. */
export const ZERO_BALLOT: Readonly<Ballot> = Object.freeze({ configId: 0, n: 0, priority: 0, pid: 0 });

/** compareBallots orders ballots by (n, priority, pid): negative if a < b, 0 if equal, positive if a > b. */
export function compareBallots(a: Ballot, b: Ballot): number {
  if (a.n !== b.n) return a.n - b.n;
  if (a.priority !== b.priority) return a.priority - b.priority;
  return a.pid - b.pid;
}

/** ballotEquals is true when two ballots hold the same position in the order. */
export function ballotEquals(a: Ballot, b: Ballot): boolean {
  return a.n === b.n && a.priority === b.priority && a.pid === b.pid;
}

/** ballotGreater is true when a is strictly after b. */
export function ballotGreater(a: Ballot, b: Ballot): boolean {
  return compareBallots(a, b) > 0;
}

/** copyBallot returns a fresh plain object, so no two owners share one ballot. */
export function copyBallot(b: Ballot): Ballot {
  return { configId: b.configId, n: b.n, priority: b.priority, pid: b.pid };
}
