import type { Message, PaxosMsgType } from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import { ELECTION, followers, startCluster, waitForStableLeader } from './cluster-helpers.js';

type M = Message<string, never>;
const isPaxos = (m: M, type: PaxosMsgType): boolean => m.kind === 'SequencePaxos' && m.msg.type === type;

/**
 * Redelivery and reordering: a network may hand a replica an old copy of a message — after a newer
 * one, or after the replica restarted. None of it may cost an acknowledged entry or stall the log.
 */
describe('old messages delivered late (redelivery, reordering)', () => {
  // Issue 14, bug 1. F keeps a copy of an AcceptSync for the leader's ballot; later F accepts e1..e3,
  // restarts from intact storage and promises the same ballot again. The old AcceptSync (from when
  // F's log was empty) reaches it before the fresh one: applied, it emptied F's log, and once the
  // leader crashed F and G decided x1 at index 0, where the leader had decided e1.
  it('ignores an old AcceptSync of the same ballot that would shorten a restarted follower’s log', () => {
    const { c, leader } = startCluster(3, 1401);
    const [f, g] = followers(c, leader) as [number, number];
    let oldSync: M | undefined;
    c.tap = (m) => {
      if (m.from === leader && m.to === f && isPaxos(m, 'AcceptSync') && !oldSync) oldSync = structuredClone(m);
    };
    c.replica(f).reconnected(leader);
    c.runUntil(() => oldSync !== undefined && c.replica(f).getCurrentLeader()?.accepted === true, 10 * ELECTION, 'F resynced');
    c.tap = undefined;
    c.cut(leader, g);
    c.cut(f, g);
    // Every Decide to F is lost: F holds e1..e3 without knowing they are decided.
    c.dropIf = (m) => m.from === leader && m.to === f && isPaxos(m, 'Decide');
    for (const e of ['e1', 'e2', 'e3']) c.propose(leader, e);
    c.runUntil(() => c.replica(leader).getDecidedIdx() === 3, 10 * ELECTION, 'the leader decides e1..e3');
    expect(c.replica(f).getAcceptedIdx()).toBe(3);
    // F restarts and promises again; the leader's fresh AcceptSync is held back, the old one arrives.
    let freshHeld = false;
    c.dropIf = (m) => {
      if (m.from !== leader || m.to !== f) return false;
      if (isPaxos(m, 'Decide')) return true;
      if (isPaxos(m, 'AcceptSync')) freshHeld = true;
      return isPaxos(m, 'AcceptSync');
    };
    c.restart(f);
    c.runUntil(() => freshHeld, 10 * ELECTION, 'the leader answers F’s new promise');
    c.inject(oldSync as M);
    c.tick();
    expect(c.replica(f).getAcceptedIdx()).toBe(3);
    // The leader crashes; F and G elect a leader that must keep e1..e3 at 0..2.
    c.dropIf = undefined;
    c.crash(leader);
    c.heal(f, g);
    const next = waitForStableLeader(c, 40 * ELECTION);
    c.propose(next, 'x1');
    c.runUntil(() => [f, g].every((p) => c.decidedValues(p).includes('x1')), 40 * ELECTION, 'x1 decided');
    expect(c.decidedValues(f)).toEqual(['e1', 'e2', 'e3', 'x1']);
    expect(c.decidedValues(g)).toEqual(['e1', 'e2', 'e3', 'x1']);
  });
});
