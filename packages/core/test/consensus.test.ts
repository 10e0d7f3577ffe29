import { Cluster } from '@omnipaxos/simulator';
import { describe, expect, it } from 'vitest';
import { ELECTION, decideAll, followers, startCluster, values, waitForStableLeader } from './cluster-helpers.js';

describe('consensus', () => {
  it.each([3, 5])('decides proposals from every server in one order on all %i servers', (n) => {
    const { c } = startCluster(n, 100 + n);
    const entries = values('v', 40);
    decideAll(c, entries, (i) => c.nodes[i % n] as number);
    const reference = c.decidedValues(1);
    expect(new Set(reference)).toEqual(new Set(entries));
    for (const p of c.nodes) expect(c.decidedValues(p)).toEqual(reference);
  });

  it('works with node ids that are not 1..N', () => {
    const { c } = startCluster([7, 42, 1000], 5);
    decideAll(c, ['a', 'b', 'c'], (i) => [7, 42, 1000][i] as number);
    for (const p of c.nodes) expect(c.decidedValues(p)).toHaveLength(3);
  });

  it('forwards a follower proposal to the leader', () => {
    const { c, leader } = startCluster(3, 7);
    const [f1, f2] = followers(c, leader) as [number, number];
    decideAll(c, ['from-f1', 'from-f2'], (i) => (i === 0 ? f1 : f2));
    expect(new Set(c.decidedValues(leader))).toEqual(new Set(['from-f1', 'from-f2']));
  });

  it('buffers proposals while no leader is known and decides them once one is elected', () => {
    const c = new Cluster<string>({ seed: 9, nodes: 3, serverConfig: { electionTickTimeout: ELECTION } });
    expect(c.replica(2).getCurrentLeader()).toBeUndefined();
    c.propose(2, 'early');
    waitForStableLeader(c);
    c.runUntil(() => c.decidedValues(2).includes('early'), 20 * ELECTION, 'early proposal decided');
  });
});

describe('batching', () => {
  it('decides in batches of batchSize and flushes a partial batch on the flush timeout', () => {
    const batchSize = 10;
    const { c, leader } = startCluster(3, 21, { serverConfig: { batchSize, flushBatchTickTimeout: 1000 } });
    for (const e of values('b', 25)) c.propose(leader, e);
    c.stabilize();
    // Two full batches are decided at once; the last 5 wait for the flush timeout.
    expect(c.replica(leader).getDecidedIdx()).toBe(20);
    for (const p of c.nodes) expect(c.decidedValues(p)).toEqual(values('b', 20));
    // The leader flushes within one flush timeout, each follower's own partial batch within another.
    c.runUntil(() => c.nodes.every((p) => c.replica(p).getDecidedIdx() === 25), 2100, 'flush timeouts');
    for (const p of c.nodes) expect(c.decidedValues(p)).toEqual(values('b', 25));
  });
});

describe('ballot leader election', () => {
  it('elects a different leader each time the leader crashes, five times', () => {
    const { c } = startCluster(5, 31);
    let leader = c.leader() as number;
    const seen: number[] = [leader];
    for (let round = 0; round < 5; round++) {
      c.crash(leader);
      const next = waitForStableLeader(c, 40 * ELECTION, leader);
      expect(next).not.toBe(leader);
      decideAll(c, [`after-crash-${round}`], next);
      c.restart(leader);
      leader = next;
      seen.push(next);
    }
    expect(new Set(c.decidedValues(leader)).size).toBe(5);
  });

  it('prefers the server with the higher leader priority', () => {
    const { c, leader } = startCluster(5, 41, { perNode: (pid) => ({ leaderPriority: pid === 2 ? 10 : 0 }) });
    expect(leader).toBe(2);
    expect(c.replica(4).getPromise()).toMatchObject({ n: 1, priority: 10, pid: 2 });
  });
});

describe('flexible quorums', () => {
  const flexibleQuorum = { readQuorumSize: 4, writeQuorumSize: 2 };

  it('decides with only the write quorum alive in the accept phase', () => {
    const { c, leader } = startCluster(5, 51, { flexibleQuorum });
    const others = followers(c, leader);
    for (const p of others.slice(0, 3)) c.crash(p);
    decideAll(c, ['w1', 'w2'], leader);
    expect(c.decidedValues(leader)).toEqual(['w1', 'w2']);
  });

  it('needs a read quorum to elect a new leader in the prepare phase', () => {
    const { c, leader } = startCluster(5, 52, { flexibleQuorum });
    const others = followers(c, leader);
    c.crash(leader);
    c.crash(others[0] as number);
    // Three servers are alive: fewer than the read quorum of 4, so no leader can be elected.
    c.tick(30 * ELECTION);
    expect(c.leader()).toBeUndefined();
    c.restart(others[0] as number);
    const next = waitForStableLeader(c);
    expect(next).not.toBe(leader);
    decideAll(c, ['after'], next);
  });
});
