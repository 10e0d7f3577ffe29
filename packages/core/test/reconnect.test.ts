import type { Message, PaxosMsgType } from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import { ELECTION, decideAll, followers, startCluster, values, waitForStableLeader } from './cluster-helpers.js';

type M = Message<string, never>;
const isPaxos = (m: M, type: PaxosMsgType): boolean => m.kind === 'SequencePaxos' && m.msg.type === type;

describe('reconnect and resync (omission faults)', () => {
  it('a follower that missed accepts finds the sequence gap and resyncs', () => {
    const { c, leader } = startCluster(3, 61);
    const follower = followers(c, leader)[0] as number;
    decideAll(c, values('a', 5), leader);
    c.dropIf = (m) => m.from === leader && m.to === follower && (isPaxos(m, 'AcceptDecide') || isPaxos(m, 'Decide'));
    decideAll(c, values('dropped', 5), leader, [leader]);
    expect(c.decidedValues(follower)).toEqual(values('a', 5));
    c.dropIf = undefined;
    decideAll(c, values('after', 5), leader);
    expect(c.decidedValues(follower)).toEqual([...values('a', 5), ...values('dropped', 5), ...values('after', 5)]);
  });

  it('numbers the accept messages to a follower one by one', () => {
    const { c, leader } = startCluster(3, 62);
    const follower = followers(c, leader)[0] as number;
    const seen: number[] = [];
    c.dropIf = (m) => {
      if (m.kind === 'SequencePaxos' && m.to === follower && (m.msg.type === 'AcceptDecide' || m.msg.type === 'Decide')) {
        seen.push(m.msg.seqNum.counter);
      }
      return false;
    };
    for (const e of values('s', 4)) {
      c.propose(leader, e);
      c.stabilize();
    }
    expect(seen.length).toBeGreaterThanOrEqual(4);
    seen.forEach((counter, i) => expect(counter).toBe((seen[0] as number) + i));
  });

  it('a follower that missed the new leader’s Prepare is prepared again by resends', () => {
    const { c, leader } = startCluster(3, 63);
    const [f1, f2] = followers(c, leader) as [number, number];
    decideAll(c, values('x', 3), leader);
    // The leader crashes; f2 will not hear the Prepare of whoever takes over, for a while.
    c.dropIf = (m) => m.to === f2 && isPaxos(m, 'Prepare');
    c.crash(leader);
    c.runUntil(() => c.leader() === f1 || c.leader() === f2, 40 * ELECTION, 'new leader');
    const next = c.leader() as number;
    const other = next === f1 ? f2 : f1;
    c.tick(10 * ELECTION);
    c.dropIf = undefined;
    decideAll(c, ['y'], next);
    c.runUntil(() => c.decidedValues(other).includes('y'), 40 * ELECTION, 'resynced follower decides');
  });

  it('a leader that missed a Promise gets it again from the follower’s resend', () => {
    const { c, leader } = startCluster(5, 64);
    const victim = followers(c, leader)[0] as number;
    decideAll(c, values('p', 3), leader);
    c.dropIf = (m) => m.from === victim && isPaxos(m, 'Promise');
    c.crash(leader);
    c.runUntil(() => c.leader() !== undefined, 40 * ELECTION, 'a new leader without the victim');
    const next = c.leader() as number;
    c.tick(5 * ELECTION);
    expect(c.replica(victim).getCurrentLeader()?.accepted).toBe(false);
    c.dropIf = undefined;
    c.restart(leader);
    decideAll(c, ['q'], next);
    c.runUntil(() => c.decidedValues(victim).includes('q'), 40 * ELECTION, 'victim decides');
  });

  it('a restarted server whose PrepareReq was lost keeps asking until it is synced', () => {
    const { c, leader } = startCluster(3, 65);
    const f = followers(c, leader)[0] as number;
    decideAll(c, values('r', 3), leader);
    c.crash(f);
    decideAll(c, values('missed', 3), leader);
    c.dropIf = (m) => m.from === f && isPaxos(m, 'PrepareReq');
    c.restart(f);
    c.tick(10 * ELECTION);
    c.dropIf = undefined;
    c.runUntil(() => c.decidedValues(f).length === 6, 40 * ELECTION, 'restarted follower catches up');
    expect(c.decidedValues(f)).toEqual([...values('r', 3), ...values('missed', 3)]);
  });

  it('a follower that missed AcceptStopSign gets it from the leader’s resend', () => {
    const { c, leader } = startCluster(3, 66);
    const f = followers(c, leader)[0] as number;
    decideAll(c, ['s1'], leader);
    c.dropIf = (m) => m.to === f && isPaxos(m, 'AcceptStopSign');
    c.reconfigure(leader, { configurationId: 2, nodes: [1, 2, 3] });
    c.tick(ELECTION);
    c.dropIf = undefined;
    c.runUntil(() => c.nodes.every((p) => c.replica(p).isReconfigured() !== undefined), 40 * ELECTION, 'stop sign decided');
    expect(c.replica(f).isReconfigured()?.nextConfig.configurationId).toBe(2);
  });

  it('a follower that missed the stop sign’s Decide gets it from the leader’s resend', () => {
    const { c, leader } = startCluster(3, 67);
    const f = followers(c, leader)[0] as number;
    c.dropIf = (m) => m.to === f && isPaxos(m, 'Decide');
    c.reconfigure(leader, { configurationId: 2, nodes: [1, 2, 4] });
    c.runUntil(() => c.replica(leader).isReconfigured() !== undefined, 10 * ELECTION, 'leader decides the stop sign');
    expect(c.replica(f).isReconfigured()).toBeUndefined();
    c.dropIf = undefined;
    c.runUntil(() => c.replica(f).isReconfigured() !== undefined, 40 * ELECTION, 'follower learns the decided stop sign');
    expect(c.replica(f).read(0)).toMatchObject({ kind: 'StopSign', decided: true });
  });

  it('a follower that lost the last Decide while the cluster is idle learns it from the next resend', () => {
    const { c, leader } = startCluster(3, 69);
    const f = followers(c, leader)[0] as number;
    c.dropIf = (m) => m.to === f && isPaxos(m, 'Decide');
    decideAll(c, ['idle'], leader, [leader]);
    expect(c.replica(f).getDecidedIdx()).toBe(0);
    c.dropIf = undefined;
    c.runUntil(() => c.replica(f).getDecidedIdx() === 1, 4 * ELECTION + 1, 'decided index reaches the idle follower');
  });

  it('a follower that lost accepts while idle sees the gap at the next resend and is synced', () => {
    const { c, leader } = startCluster(3, 70);
    const f = followers(c, leader)[0] as number;
    c.dropIf = (m) => m.to === f && (isPaxos(m, 'AcceptDecide') || isPaxos(m, 'Decide'));
    decideAll(c, values('lost', 3), leader, [leader]);
    c.dropIf = undefined;
    c.runUntil(() => c.decidedValues(f).length === 3, 8 * ELECTION, 'idle follower synced');
    expect(c.decidedValues(f)).toEqual(values('lost', 3));
  });

  // Found by the fuzzer (issue 14; `runRandomFaults({ seed: 28 })` at the simulator of that change):
  // a write quorum of all five, one Accepted lost, and no new proposal. Nothing resent Accepted, and
  // a follower ignored the resent Decide that did not move its decided index, so 43 entries held by
  // every server stayed undecided for good.
  it('a follower whose Accepted was lost while idle repeats it when a resent Decide shows the leader behind', () => {
    const { c, leader } = startCluster(5, 71);
    const [f1, f2, d1, d2] = followers(c, leader) as [number, number, number, number];
    c.crash(d1);
    c.crash(d2);
    let lost = 0;
    c.dropIf = (m) => m.from === f2 && isPaxos(m, 'Accepted') && lost++ === 0;
    c.propose(leader, 'idle');
    c.tick();
    expect(lost).toBe(1);
    expect(c.replica(f2).getAcceptedIdx()).toBe(1);
    // No new proposal: the leader's next resend timeout must bring the lost acknowledgement back.
    c.runUntil(() => [leader, f1, f2].every((p) => c.replica(p).getDecidedIdx() === 1), 8 * ELECTION, 'idle entry decided');
    expect(c.decidedValues(f1)).toEqual(['idle']);
  });

  it('reconnected(pid) makes a follower resync with its leader', () => {
    const { c, leader } = startCluster(3, 68);
    const f = followers(c, leader)[0] as number;
    c.cut(leader, f);
    decideAll(c, values('while-cut', 3), leader, [leader]);
    c.heal(leader, f);
    c.replica(f).reconnected(leader);
    c.stabilize();
    expect(c.decidedValues(f)).toEqual(values('while-cut', 3));
  });
});

describe('recovery from storage', () => {
  for (const [crashed, proposer] of [
    ['leader', 'follower'],
    ['leader', 'leader'],
    ['follower', 'leader'],
    ['follower', 'follower'],
  ] as const) {
    it(`recovers a crashed ${crashed} while the ${proposer} proposes, losing nothing decided`, () => {
      const { c, leader } = startCluster(3, 70 + crashed.length + proposer.length);
      const f = followers(c, leader)[0] as number;
      const victim = crashed === 'leader' ? leader : f;
      decideAll(c, values('before', 5), leader);
      const decidedBefore = c.decidedValues(victim);
      c.crash(victim);
      const newLeader = waitForStableLeader(c, 40 * ELECTION);
      const at = proposer === 'leader' ? newLeader : (c.aliveNodes().find((p) => p !== newLeader) as number);
      decideAll(c, values('during', 5), at);
      c.restart(victim);
      expect(c.decidedValues(victim)).toEqual(decidedBefore);
      c.runUntil(() => c.decidedValues(victim).length === 10, 40 * ELECTION, 'recovered replica catches up');
      expect(c.decidedValues(victim)).toEqual(c.decidedValues(c.leader() as number));
      decideAll(c, ['after'], victim);
    });
  }
});
