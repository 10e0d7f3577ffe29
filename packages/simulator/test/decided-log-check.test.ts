import { describe, expect, it } from 'vitest';
import { Cluster, SimulationError } from '../src/index.js';

/** The whole-log check (`checkDecidedLogs`) sees a decided index rewritten in place. */
describe('checking whole decided logs', () => {
  it('fails a run whose replica rewrote an index it had already decided', () => {
    const c = new Cluster({ seed: 14, nodes: 3, serverConfig: { electionTickTimeout: 5, resendMessageTickTimeout: 20 } });
    c.runUntil(() => c.leader() !== undefined, 200, 'a leader');
    const leader = c.leader() as number;
    for (const e of ['a', 'b', 'c']) c.propose(leader, e);
    c.runUntil(() => c.nodes.every((p) => c.replica(p).getDecidedIdx() === 3), 200, 'a, b, c decided everywhere');
    c.checkDecidedLogs();
    // A follower's storage rewrites index 1 (b) with another proposed value; nothing new is decided,
    // so the incremental check, which reads only newly decided indices, cannot see it.
    const victim = c.nodes.find((p) => p !== leader) as number;
    c.propose(leader, 'x');
    c.storage(victim).inner.appendOnPrefix(1, ['x', 'c']);
    c.checkInvariants();
    expect(() => c.checkDecidedLogs()).toThrow(SimulationError);
    expect(() => c.checkDecidedLogs()).toThrow(/index 1 holds x, but b was decided there/);
  });
});
