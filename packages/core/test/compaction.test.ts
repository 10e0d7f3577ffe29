import { CompactionError, ConfigError, MemoryStorage, OmniPaxos } from '@omnipaxos/core';
import { Cluster } from '@omnipaxos/simulator';
import { describe, expect, it } from 'vitest';
import { ELECTION, decideAll, followers, startCluster, values, waitForStableLeader } from './cluster-helpers.js';
import { type KvSnapshot, kvSnapshot } from './kv-snapshot.js';

function kvCluster(n: number, seed: number): { c: Cluster<string, KvSnapshot>; leader: number } {
  const c = new Cluster<string, KvSnapshot>({
    seed,
    nodes: n,
    snapshot: kvSnapshot,
    serverConfig: { electionTickTimeout: ELECTION, resendMessageTickTimeout: 4 * ELECTION },
  });
  const leader = waitForStableLeader(c as unknown as Cluster<string>);
  return { c, leader };
}

function expectCompactionError(fn: () => void, code: CompactionError['code']): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CompactionError);
    expect((err as CompactionError).code).toBe(code);
    return;
  }
  throw new Error(`expected CompactionError ${code}`);
}

describe('trim', () => {
  it('trims the prefix on every server and reads it as Trimmed', () => {
    const { c, leader } = startCluster(3, 81);
    decideAll(c, values('t', 10), leader);
    c.replica(leader).trim(6);
    c.stabilize();
    for (const p of c.nodes) {
      const r = c.replica(p);
      expect(r.getCompactedIdx()).toBe(6);
      expect(r.read(3)).toEqual({ kind: 'Trimmed', trimmedIdx: 6 });
      expect(r.read(6)).toEqual({ kind: 'Decided', entry: 't6' });
      expect(r.readEntries(4, 8)).toEqual([
        { kind: 'Trimmed', trimmedIdx: 6 },
        { kind: 'Decided', entry: 't6' },
        { kind: 'Decided', entry: 't7' },
      ]);
    }
  });

  it('trims twice, and trims everything accepted by all when no index is given', () => {
    const { c, leader } = startCluster(3, 82);
    decideAll(c, values('t', 10), leader);
    c.replica(leader).trim(3);
    c.stabilize();
    c.replica(leader).trim();
    c.stabilize();
    for (const p of c.nodes) expect(c.replica(p).getCompactedIdx()).toBe(10);
    decideAll(c, ['u'], leader);
    expect(c.replica(leader).read(10)).toEqual({ kind: 'Decided', entry: 'u' });
  });

  it('refuses to trim on a follower, past what all accepted, or below the trimmed index', () => {
    const { c, leader } = startCluster(3, 83);
    const f = followers(c, leader)[0] as number;
    decideAll(c, values('t', 5), leader);
    expectCompactionError(() => c.replica(f).trim(2), 'NotCurrentLeader');
    expectCompactionError(() => c.replica(leader).trim(9), 'NotAllDecided');
    c.replica(leader).trim(4);
    expectCompactionError(() => c.replica(leader).trim(2), 'TrimmedIndex');
  });

  it('keeps trimming blocked while a server has not accepted the prefix', () => {
    const { c, leader } = startCluster(3, 84);
    const f = followers(c, leader)[0] as number;
    c.cut(leader, f);
    decideAll(c, values('t', 5), leader, [leader]);
    expectCompactionError(() => c.replica(leader).trim(5), 'NotAllDecided');
  });
});

describe('snapshot', () => {
  it('snapshots the decided prefix on every server and reads it as Snapshotted', () => {
    const { c, leader } = kvCluster(3, 91);
    for (const e of ['a=1', 'b=2', 'a=3', 'c=4']) c.propose(leader, e);
    c.stabilize();
    c.replica(leader).snapshot(3, false);
    c.stabilize();
    for (const p of c.nodes) {
      expect(c.replica(p).getCompactedIdx()).toBe(3);
      expect(c.replica(p).read(0)).toEqual({ kind: 'Snapshotted', trimmedIdx: 3, snapshot: { a: '3', b: '2' } });
      expect(c.replica(p).read(3)).toEqual({ kind: 'Decided', entry: 'c=4' });
    }
  });

  it('merges a second snapshot into the first', () => {
    const { c, leader } = kvCluster(3, 92);
    for (const e of ['a=1', 'b=2', 'a=3', 'c=4', 'b=5']) c.propose(leader, e);
    c.stabilize();
    const f = followers(c as unknown as Cluster<string>, leader)[0] as number;
    c.replica(f).snapshot(2, true);
    c.replica(f).snapshot(undefined, true);
    expect(c.replica(f).read(1)).toEqual({ kind: 'Snapshotted', trimmedIdx: 5, snapshot: { a: '3', b: '5', c: '4' } });
    expect(c.replica(leader).getCompactedIdx()).toBe(0); // localOnly: the others keep their logs
  });

  it('refuses undecided indices, compacted indices, and replicas without snapshot logic', () => {
    const { c, leader } = kvCluster(3, 93);
    for (const e of ['a=1', 'b=2']) c.propose(leader, e);
    c.stabilize();
    expectCompactionError(() => c.replica(leader).snapshot(5, true), 'UndecidedIndex');
    c.replica(leader).snapshot(2, true);
    expectCompactionError(() => c.replica(leader).snapshot(1, true), 'TrimmedIndex');
    const plain = new OmniPaxos<string>({ clusterConfig: { configurationId: 1, nodes: [1, 2] }, serverConfig: { pid: 1 } }, new MemoryStorage());
    expect(() => plain.snapshot(undefined, true)).toThrow(ConfigError);
  });
});

describe('reads', () => {
  it('reads decided, undecided and stop-sign entries, and nothing out of range', () => {
    const { c, leader } = startCluster(3, 101);
    decideAll(c, values('r', 4), leader);
    const f = followers(c, leader)[0] as number;
    // An entry the leader holds but cannot decide: both followers are cut off.
    for (const p of followers(c, leader)) c.cut(leader, p);
    c.propose(leader, 'pending');
    c.stabilize();
    const r = c.replica(leader);
    expect(r.read(4)).toEqual({ kind: 'Undecided', entry: 'pending' });
    expect(r.read(5)).toBeUndefined();
    expect(r.read(-1)).toBeUndefined();
    expect(r.readEntries(3, 5)).toEqual([{ kind: 'Decided', entry: 'r3' }, { kind: 'Undecided', entry: 'pending' }]);
    expect(r.readEntries(3, 9)).toBeUndefined();
    expect(r.readEntries(3, 3)).toBeUndefined();
    expect(r.readDecidedSuffix(2)).toEqual([{ kind: 'Decided', entry: 'r2' }, { kind: 'Decided', entry: 'r3' }]);
    expect(r.readDecidedSuffix(4)).toBeUndefined();
    c.healAll();
    c.tick(20 * ELECTION);
    c.replica(c.leader() as number).reconfigure({ configurationId: 2, nodes: [1, 2, 3] });
    c.runUntil(() => c.replica(f).isReconfigured() !== undefined, 40 * ELECTION, 'stop sign');
    const last = c.replica(f).getDecidedIdx() - 1;
    expect(c.replica(f).read(last)).toMatchObject({ kind: 'StopSign', decided: true });
    expect(c.replica(f).readDecidedSuffix(last)).toHaveLength(1);
  });
});
