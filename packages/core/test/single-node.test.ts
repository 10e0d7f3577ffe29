import { BallotLeaderElection, ConfigError, MemoryStorage, OmniPaxos } from '@omnipaxos/core';
import { Cluster } from '@omnipaxos/simulator';
import { describe, expect, it } from 'vitest';
import { ELECTION, decideAll, startCluster, values } from './cluster-helpers.js';

const ONE = { clusterConfig: { configurationId: 1, nodes: [7] }, serverConfig: { pid: 7 } };

describe('a one-node configuration', () => {
  it('leads in the Accept phase as soon as it is built, before any tick', () => {
    const r = new OmniPaxos<string>(ONE, new MemoryStorage());
    expect(r.getCurrentLeader()).toEqual({ pid: 7, accepted: true });
    expect(r.getStatus()).toMatchObject({ role: 'Leader', phase: 'Accept' });
    expect(r.takeOutgoingMessages()).toEqual([]);
  });

  it('decides each append alone, with no message sent', () => {
    const r = new OmniPaxos<string>(ONE, new MemoryStorage());
    r.append('a');
    r.append('b');
    expect(r.getDecidedIdx()).toBe(2);
    expect(r.readDecidedSuffix(0)).toEqual([
      { kind: 'Decided', entry: 'a' },
      { kind: 'Decided', entry: 'b' },
    ]);
    expect(r.takeOutgoingMessages()).toEqual([]);
  });

  it('decides its stop sign alone, growing to three', () => {
    const r = new OmniPaxos<string>(ONE, new MemoryStorage());
    r.append('a');
    r.reconfigure({ configurationId: 2, nodes: [7, 8, 9] });
    expect(r.isReconfigured()).toEqual({ nextConfig: { configurationId: 2, nodes: [7, 8, 9] } });
  });

  it('batches: a partial batch is decided at the flush timeout', () => {
    const r = new OmniPaxos<string>({ ...ONE, serverConfig: { pid: 7, batchSize: 4, flushBatchTickTimeout: 2 } }, new MemoryStorage());
    r.append('a');
    expect(r.getDecidedIdx()).toBe(0);
    r.tick();
    r.tick();
    expect(r.getDecidedIdx()).toBe(1);
  });

  it('takes over again at once after a restart, keeping every decided entry', () => {
    const storage = new MemoryStorage<string>();
    const first = new OmniPaxos<string>(ONE, storage);
    first.append('a');
    first.append('b');
    const ballot = first.getPromise();
    const again = new OmniPaxos<string>(ONE, storage);
    expect(again.getStatus()).toMatchObject({ role: 'Leader', phase: 'Accept' });
    expect(again.getPromise().n).toBeGreaterThan(ballot.n);
    again.append('c');
    expect(again.readDecidedSuffix(0)?.map((e) => (e.kind === 'Decided' ? e.entry : e.kind))).toEqual(['a', 'b', 'c']);
  });

  it('refuses a flexible quorum', () => {
    const config = { ...ONE, clusterConfig: { ...ONE.clusterConfig, flexibleQuorum: { readQuorumSize: 1, writeQuorumSize: 1 } } };
    expect(() => new OmniPaxos(config, new MemoryStorage())).toThrow(/one-node cluster takes no flexible quorum/);
  });

  it('still refuses an empty configuration', () => {
    expect(() => new OmniPaxos({ clusterConfig: { configurationId: 1, nodes: [] }, serverConfig: { pid: 1 } }, new MemoryStorage())).toThrow(ConfigError);
  });

  it('leader election: a server alone elects itself, one with peers waits for heartbeats', () => {
    expect(new BallotLeaderElection({ configurationId: 1, pid: 1, peers: [] }).electAlone()).toMatchObject({ pid: 1, n: 1 });
    expect(new BallotLeaderElection({ configurationId: 1, pid: 1, peers: [2] }).electAlone()).toBeUndefined();
  });
});

describe('a one-node cluster on the simulator', () => {
  it('serves, survives crashes with power loss (deferred flushes), and decides its stop sign', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const c = new Cluster<string>({ seed, nodes: [1], durability: 'deferred', serverConfig: { electionTickTimeout: ELECTION } });
      let decided: string[] = [];
      for (let round = 0; round < 5; round++) {
        const batch = values(`s${seed}r${round}-`, 5);
        decideAll(c, batch, 1);
        decided = c.decidedValues(1);
        c.crash(1);
        c.restart(1);
        c.tick(1);
        // Everything it reported decided survived the power loss.
        const after = c.decidedValues(1);
        expect(after.slice(0, decided.length)).toEqual(decided);
      }
      c.reconfigure(1, { configurationId: 2, nodes: [1, 2, 3] });
      c.runUntil(() => c.replica(1).isReconfigured() !== undefined, 10 * ELECTION, 'the stop sign');
      expect(c.replica(1).isReconfigured()?.nextConfig.nodes).toEqual([1, 2, 3]);
    }
  });

  it('a three-node configuration shrinks to one: the stop sign names it and is decided', () => {
    const { c, leader } = startCluster(3, 31);
    decideAll(c, values('x', 10), leader);
    c.reconfigure(leader, { configurationId: 2, nodes: [2] });
    c.runUntil(() => c.aliveNodes().every((p) => c.replica(p).isReconfigured() !== undefined), 20 * ELECTION, 'the stop sign everywhere');
    // The next configuration's only server starts alone and serves at once.
    const next = new OmniPaxos<string>({ clusterConfig: { configurationId: 2, nodes: [2] }, serverConfig: { pid: 2 } }, new MemoryStorage());
    next.append('after');
    expect(next.getDecidedIdx()).toBe(1);
  });
});
