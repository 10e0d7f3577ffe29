import type { Message, PaxosMsgType } from '@omnipaxos/core';
import { Cluster } from '@omnipaxos/simulator';
import { describe, expect, it } from 'vitest';
import { ELECTION, decideAll, followers, values, waitForStableLeader } from './cluster-helpers.js';

type M = Message<string, string[]>;
const isPaxos = (m: M, type: PaxosMsgType): boolean => m.kind === 'SequencePaxos' && m.msg.type === type;

/**
 * Found by the fuzzer (issue 14; `pnpm fuzz` seed 1675 at simulator 7ec3c97): a new leader adopted
 * the log of the most up-to-date promise, a snapshot of 28 decided entries, but that server had asked
 * to be prepared again, so its decided index no longer counted and the leader set its own to 24 —
 * compacted past its decided index. A follower far behind then got that Complete snapshot as ending
 * at 24, put e51 at 24 where e43 was decided, and decided it. Here, before the fix: N ends compacted
 * to 10 with 5 decided, and Q (which missed e2..e4) decides g at 5, where f0 was decided.
 */
describe('adopting a snapshot from a promise', () => {
  it('decides at least the adopted snapshot, even when its promiser asked to be prepared again', () => {
    const c = new Cluster<string, string[]>({
      seed: 1675,
      nodes: 5,
      snapshot: { create: (es: string[]) => es.slice(), merge: (a: string[], b: string[]) => a.concat(b) },
      serverConfig: { electionTickTimeout: ELECTION, resendMessageTickTimeout: 4 * ELECTION },
    });
    const a = waitForStableLeader(c as unknown as Cluster<string>);
    const [p, x, n, q] = followers(c as unknown as Cluster<string>, a) as [number, number, number, number];
    decideAll(c as unknown as Cluster<string>, values('e', 2), a);
    // Q misses e2..e4; then A, P and X decide f0..f4: X never hears it is decided, N never gets them.
    c.cut(a, q);
    decideAll(c as unknown as Cluster<string>, values('e', 3, 2), a, [a, p, x, n]);
    c.cut(a, n);
    c.dropIf = (m) => m.to === x && isPaxos(m, 'Decide');
    decideAll(c as unknown as Cluster<string>, values('f', 5), a, [a, p]);
    expect(c.snapshot(p, undefined, true)).toBe(true);
    expect(c.replica(p).getCompactedIdx()).toBe(10);
    expect(c.replica(x).getDecidedIdx()).toBe(5);
    c.crash(a);
    // N takes over. P promises first (its promise carries the snapshot), then asks to be prepared
    // again; its new promises are lost. X and Q promise later and complete N's quorum.
    let pPromised = false;
    c.dropIf = (m) => {
      if (m.from === p && m.to === n && isPaxos(m, 'Promise')) {
        if (pPromised) return true;
        pPromised = true;
        return false;
      }
      if (m.to === n && (m.from === x || m.from === q) && isPaxos(m, 'Promise')) return !pPromised || !asked;
      return m.to === x && isPaxos(m, 'Decide');
    };
    let asked = false;
    c.tryBecomeLeader(n);
    c.runUntil(() => pPromised, 4 * ELECTION, 'P promises N');
    c.replica(p).reconnected(n);
    asked = true;
    c.runUntil(() => c.leader() === n, 20 * ELECTION, 'N leads with X and Q');
    expect(c.replica(n).getCompactedIdx()).toBeLessThanOrEqual(c.replica(n).getDecidedIdx());
    c.dropIf = undefined;
    c.healAll();
    c.restart(a);
    const leader = waitForStableLeader(c as unknown as Cluster<string>);
    decideAll(c as unknown as Cluster<string>, ['g'], leader);
    for (const pid of c.nodes) expect(c.decidedValues(pid).slice(-1)).toEqual(['g']);
  });
});
