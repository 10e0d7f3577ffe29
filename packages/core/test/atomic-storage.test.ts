import { type NodeId, StorageError } from '@omnipaxos/core';
import { Cluster, type FaultyStorage } from '@omnipaxos/simulator';
import { describe, expect, it } from 'vitest';
import { ELECTION, decideAll, followers, values, waitForStableLeader } from './cluster-helpers.js';
import { type KvSnapshot, kvSnapshot } from './kv-snapshot.js';

type C = Cluster<string, KvSnapshot>;
const plain = (c: C): Cluster<string> => c as unknown as Cluster<string>;

/** storageIsConsistent: what storage holds describes one valid replica state. */
function expectConsistent(s: FaultyStorage<string, KvSnapshot>): void {
  const end = s.getCompactedIdx() + s.getLogLen() + (s.getStopsign() ? 1 : 0);
  expect(s.getDecidedIdx()).toBeLessThanOrEqual(end);
  const promise = s.getPromise();
  const accepted = s.getAcceptedRound();
  if (promise && accepted) {
    const cmp = accepted.n - promise.n || accepted.priority - promise.priority || accepted.pid - promise.pid;
    expect(cmp).toBeLessThanOrEqual(0);
  }
}

function kvCluster(seed: number): { c: C; leader: NodeId } {
  const c = new Cluster<string, KvSnapshot>({
    seed,
    nodes: 3,
    snapshot: kvSnapshot,
    serverConfig: { electionTickTimeout: ELECTION, resendMessageTickTimeout: 4 * ELECTION },
  });
  return { c, leader: waitForStableLeader(plain(c)) };
}

/**
 * failEveryWrite runs `scenario` once per write position k = 1..maxK, with the k-th storage write of
 * `victim` (from the moment `arm` is called) failing. After each run: the victim's storage is
 * consistent, the victim restarts from it, and the cluster converges with nothing decided lost (the
 * simulator checks the safety invariants after every step).
 */
function failEveryWrite(
  name: string,
  maxK: number,
  scenario: (c: C, leader: NodeId, arm: (victim: NodeId) => void) => NodeId,
): void {
  let failures = 0;
  for (let k = 1; k <= maxK; k++) {
    const { c, leader } = kvCluster(1000 + k);
    const victim = scenario(c, leader, (v) => c.storage(v).failNthWriteFromNow(k));
    expectConsistent(c.storage(victim));
    if (c.storage(victim).failAt === undefined) failures += 1;
    c.storage(victim).failAt = undefined;
    if (!c.isAlive(victim)) c.restart(victim);
    const next = waitForStableLeader(plain(c), 60 * ELECTION);
    decideAll(plain(c), [`${name}-after-${k}=1`], next);
    const reference = c.replica(next).getDecidedIdx();
    c.runUntil(() => c.nodes.every((p) => c.replica(p).getDecidedIdx() === reference), 40 * ELECTION, 'convergence');
  }
  // The injected failure must really have hit (a run whose k passed all writes proves nothing).
  expect(failures, `${name}: runs in which the injected write failure happened`).toBeGreaterThan(0);
}

describe('storage failures at every write position leave state consistent', () => {
  it('during AcceptSync', () => {
    failEveryWrite('sync', 6, (c, leader, arm) => {
      const f = followers(plain(c), leader)[0] as NodeId;
      c.isolate(f);
      decideAll(plain(c), values('s', 5).map((v) => `${v}=1`), leader, [leader]);
      arm(f);
      c.healAll();
      c.tick(3 * ELECTION);
      return f;
    });
  });

  it('during AcceptDecide', () => {
    failEveryWrite('acc', 6, (c, leader, arm) => {
      const f = followers(plain(c), leader)[0] as NodeId;
      arm(f);
      for (const v of values('a', 4)) c.propose(leader, `${v}=1`);
      c.stabilize();
      return f;
    });
  });

  it('during trim', () => {
    failEveryWrite('trim', 4, (c, leader, arm) => {
      decideAll(plain(c), values('t', 6).map((v) => `${v}=1`), leader);
      arm(leader);
      c.trim(leader, 4);
      c.stabilize();
      return leader;
    });
  });

  it('during snapshot', () => {
    failEveryWrite('snap', 4, (c, leader, arm) => {
      const f = followers(plain(c), leader)[0] as NodeId;
      decideAll(plain(c), values('p', 6).map((v) => `${v}=1`), leader);
      arm(f);
      c.snapshot(leader, 5, false);
      c.stabilize();
      return f;
    });
  });

  it('while the new leader handles a majority of promises', () => {
    failEveryWrite('prom', 6, (c, leader, arm) => {
      decideAll(plain(c), values('m', 3).map((v) => `${v}=1`), leader);
      const next = followers(plain(c), leader)[0] as NodeId;
      arm(next);
      c.crash(leader);
      try {
        c.replica(next).tryBecomeLeader();
      } catch (err) {
        if (!(err instanceof StorageError)) throw err;
        c.crash(next);
      }
      c.stabilize();
      c.restart(leader);
      return next;
    });
  });
});
