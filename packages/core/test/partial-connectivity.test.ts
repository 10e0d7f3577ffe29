import { applyChained, applyConstrainedElection, applyQuorumLoss, Cluster } from '@omnipaxos/simulator';
import { describe, expect, it } from 'vitest';

const ELECTION = 5; // electionTickTimeout used below

function electedCluster(n: number, seed: number): { c: Cluster; leader: number } {
  const c = new Cluster({ seed, nodes: n, serverConfig: { electionTickTimeout: ELECTION } });
  c.runUntil(() => c.leader() !== undefined, 20 * ELECTION, 'first leader');
  const leader = c.leader() as number;
  return { c, leader };
}

function proposeAndDecide(c: Cluster, pid: number, entry: string, maxTicks: number): number {
  const before = c.replica(pid).getDecidedIdx();
  c.propose(pid, entry);
  return c.runUntil(() => c.replica(pid).getDecidedIdx() > before, maxTicks, `decide ${entry}`);
}

describe('partial connectivity (OmniPaxos paper, section 2)', () => {
  it('elects the only quorum-connected server after quorum loss', () => {
    const { c, leader } = electedCluster(5, 11);
    proposeAndDecide(c, leader, 'a', 10);
    const hub = c.nodes.find((p) => p !== leader) as number;
    applyQuorumLoss(c, hub);
    c.runUntil(() => c.leader() === hub, 10 * ELECTION, 'hub takes over');
    // The hub serves proposals from itself and from the servers it still reaches.
    const other = c.nodes.find((p) => p !== leader && p !== hub) as number;
    proposeAndDecide(c, hub, 'b', 4 * ELECTION);
    proposeAndDecide(c, other, 'c', 4 * ELECTION);
    expect(c.decidedValues(hub)).toEqual(['a', 'b', 'c']);
  });

  it('elects a quorum-connected server even when its log is behind (constrained election)', () => {
    const { c, leader } = electedCluster(5, 12);
    const hub = c.nodes.find((p) => p !== leader) as number;
    // The hub misses 'x' and 'y': its links are down while they are decided.
    for (const p of c.nodes) if (p !== hub) c.cut(hub, p);
    proposeAndDecide(c, leader, 'x', 10);
    proposeAndDecide(c, leader, 'y', 10);
    expect(c.replica(hub).getDecidedIdx()).toBe(0);
    c.healAll();
    applyConstrainedElection(c, leader, hub);
    c.runUntil(() => c.leader() === hub, 10 * ELECTION, 'hub takes over with an outdated log');
    proposeAndDecide(c, hub, 'z', 4 * ELECTION);
    expect(c.decidedValues(hub)).toEqual(['x', 'y', 'z']);
  });

  it('keeps the leader in a chain: the far server does not disrupt it', () => {
    const { c, leader } = electedCluster(3, 13);
    const far = c.nodes.find((p) => p !== leader) as number;
    const ballotBefore = c.replica(leader).getPromise();
    applyChained(c, leader, far);
    c.tick(20 * ELECTION);
    expect(c.leader()).toBe(leader);
    expect(c.replica(leader).getPromise()).toEqual(ballotBefore);
    // The leader still decides with the middle server; the far server only misses what it cannot hear.
    const middle = c.nodes.find((p) => p !== leader && p !== far) as number;
    proposeAndDecide(c, leader, 'x', 4 * ELECTION);
    c.tick(ELECTION);
    expect(c.decidedValues(middle)).toEqual(['x']);
    expect(c.replica(far).getPromise()).toEqual(ballotBefore);
  });
});
