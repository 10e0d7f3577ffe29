import type { NodeId } from '@omnipaxos/core';
import { ELECTION, type FaultDriver, type RandomCluster } from './random-faults.js';

/** decidedStrings returns a node's decided entries, snapshots expanded. */
function decidedStrings(c: RandomCluster, pid: NodeId): string[] {
  const out: string[] = [];
  for (const e of c.decidedEntries(pid)) {
    if (e.kind === 'Decided') out.push(e.entry);
    else if (e.kind === 'Snapshotted') out.push(...e.snapshot);
  }
  return out;
}

/**
 * heal ends the fault phase: every link and disk is healed and every crashed server restarts,
 * except `stayDown` randomly chosen servers, which crash (if up) and stay down for good.
 */
export function heal(d: FaultDriver, stayDown: number): NodeId[] {
  const { c, prng } = d;
  c.healAll();
  for (const pid of c.nodes) c.storage(pid).failAt = undefined;
  for (const pid of c.nodes) if (!c.isAlive(pid)) d.down.add(pid);
  const gone = prng.shuffle([...c.nodes]).slice(0, stayDown);
  for (const pid of [...d.down]) if (!gone.includes(pid)) d.restart(pid);
  for (const pid of gone) if (c.isAlive(pid)) d.crash(pid);
  if (gone.length > 0) d.used.add('minorityDown');
  return gone;
}

/** waitForLeader runs until every live server follows one leader in the Accept phase. */
export function waitForLeader(c: RandomCluster, bound: number): NodeId {
  c.runUntil(
    () => {
      const leader = c.leader();
      return leader !== undefined && c.aliveNodes().every((p) => {
        const l = c.replica(p).getCurrentLeader();
        return l !== undefined && l.pid === leader && l.accepted;
      });
    },
    bound,
    'every live server following one leader after healing',
  );
  return c.leader() as NodeId;
}

/**
 * checkQuiescentLiveness proposes nothing and runs until every live server decided all the leader
 * holds: an entry a quorum holds must be decided without new proposals to push it. Returns whether
 * there was anything left to decide when it started.
 */
export function checkQuiescentLiveness(c: RandomCluster, bound: number): boolean {
  const leaderEnd = (): number | undefined => {
    const l = c.leader();
    return l === undefined ? undefined : c.replica(l).getAcceptedIdx();
  };
  const start = leaderEnd() ?? 0;
  const pending = c.aliveNodes().some((p) => c.replica(p).getDecidedIdx() < start);
  c.runUntil(
    () => {
      const end = leaderEnd();
      return end !== undefined && c.aliveNodes().every((p) => c.replica(p).getDecidedIdx() === end);
    },
    bound,
    'everything the leader holds decided on every live server, with no new proposal',
  );
  return pending;
}

/**
 * checkFreshOperations proposes three operations and runs until every live server decided them (or
 * a stop sign, after which nothing can be appended).
 * Like a real client it retries an operation not decided within a few election timeouts (a leader
 * change may drop an in-flight proposal); each attempt is a distinct entry.
 */
export function checkFreshOperations(d: FaultDriver, bound: number): void {
  const { c, prng } = d;
  const pending = new Map<number, number>(); // operation -> attempt
  const name = (op: number, attempt: number): string => `${d.entryPrefix}fresh${op}#${attempt}`;
  for (let op = 0; op < 3; op++) {
    pending.set(op, 0);
    c.propose(prng.pick(c.aliveNodes()), name(op, 0));
  }
  const isDecidedEverywhere = (op: number): boolean =>
    c.aliveNodes().every((pid) => decidedStrings(c, pid).some((v) => v.startsWith(`${d.entryPrefix}fresh${op}#`)));
  let lastTry = c.now;
  c.runUntil(
    () => {
      for (const op of [...pending.keys()]) if (isDecidedEverywhere(op)) pending.delete(op);
      // A stop sign still travelling when this check began may be decided first: then nothing more
      // can be appended, and checkStopSignDecided takes over.
      if (pending.size > 0 && c.aliveNodes().every((p) => c.replica(p).isReconfigured() !== undefined)) return true;
      if (pending.size > 0 && c.now - lastTry >= 6 * ELECTION) {
        lastTry = c.now;
        for (const [op, attempt] of pending) {
          pending.set(op, attempt + 1);
          c.propose(prng.pick(c.aliveNodes()), name(op, attempt + 1));
        }
      }
      return pending.size === 0;
    },
    bound,
    'every post-heal operation decided on every live server',
  );
}

/** checkStopSignDecided (re)proposes the driver's stop sign until every live server decided it. */
export function checkStopSignDecided(d: FaultDriver, bound: number): void {
  const { c } = d;
  let lastTry = c.now - 6 * ELECTION;
  c.runUntil(
    () => {
      if (c.aliveNodes().every((p) => c.replica(p).isReconfigured() !== undefined)) return true;
      if (c.now - lastTry >= 6 * ELECTION) {
        lastTry = c.now;
        d.proposeStopSign();
      }
      return false;
    },
    bound,
    'the stop sign decided on every live server',
  );
}
