import type { Message } from '@omnipaxos/core';
import { Cluster } from '@omnipaxos/simulator';
import { describe, expect, it } from 'vitest';
import { ELECTION, decideAll, followers, values, waitForStableLeader } from './cluster-helpers.js';
import { type KvSnapshot, kvSnapshot } from './kv-snapshot.js';

type KvCluster = Cluster<string, KvSnapshot>;
const asPlain = (c: KvCluster): Cluster<string> => c as unknown as Cluster<string>;

function kvCluster(seed: number, n = 3): { c: KvCluster; leader: number } {
  const c = new Cluster<string, KvSnapshot>({
    seed,
    nodes: n,
    snapshot: kvSnapshot,
    serverConfig: { electionTickTimeout: ELECTION, resendMessageTickTimeout: 4 * ELECTION, batchSize: 1 },
  });
  return { c, leader: waitForStableLeader(asPlain(c)) };
}

/** stateOf replays a decided log (snapshot + entries) into the key-value state it stands for. */
function stateOf(c: KvCluster, pid: number): KvSnapshot {
  let state: KvSnapshot = {};
  for (const e of c.decidedEntries(pid)) {
    if (e.kind === 'Snapshotted') state = { ...state, ...e.snapshot };
    else if (e.kind === 'Decided') state = kvSnapshot.merge(state, kvSnapshot.create([e.entry]));
  }
  return state;
}

describe('log sync with compaction', () => {
  it('a server partitioned for 10,000 decided and snapshotted entries catches up from the snapshot', () => {
    const { c, leader } = kvCluster(111);
    const f = followers(asPlain(c), leader)[0] as number;
    const other = followers(asPlain(c), leader)[1] as number;
    decideAll(asPlain(c), ['x=0'], leader);
    c.isolate(f);
    let bytesToFollower = 0;
    for (let i = 0; i < 10_000; i++) c.propose(leader, `k${i % 100}=${i}`);
    c.stabilize();
    expect(c.replica(leader).getDecidedIdx()).toBe(10_001);
    c.replica(leader).snapshot(undefined, false);
    c.stabilize();
    expect(c.replica(other).getCompactedIdx()).toBe(10_001);
    c.dropIf = (m) => {
      if (m.to === f) bytesToFollower += JSON.stringify(m).length;
      return false;
    };
    c.healAll();
    c.runUntil(() => c.replica(f).getDecidedIdx() === 10_001, 40 * ELECTION, 'partitioned server catches up');
    expect(c.replica(f).getCompactedIdx()).toBe(10_001);
    expect(stateOf(c, f)).toEqual(stateOf(c, leader));
    // The sync carried one snapshot of 101 keys, not 10,000 entries.
    expect(bytesToFollower).toBeLessThan(50_000);
    decideAll(asPlain(c), ['after=1'], leader);
    expect(c.replica(f).read(10_001)).toEqual({ kind: 'Decided', entry: 'after=1' });
  });

  it('syncs a follower that snapshotted locally before it was cut off', () => {
    const { c, leader } = kvCluster(112);
    const f = followers(asPlain(c), leader)[0] as number;
    decideAll(asPlain(c), ['a=1', 'b=2', 'c=3'], leader);
    c.replica(f).snapshot(undefined, true);
    c.isolate(f);
    decideAll(asPlain(c), ['a=4', 'd=5'], leader, [leader]);
    c.healAll();
    c.runUntil(() => c.replica(f).getDecidedIdx() === 5, 40 * ELECTION, 'follower synced');
    expect(stateOf(c, f)).toEqual({ a: '4', b: '2', c: '3', d: '5' });
  });

  it('syncs the entries and the decided stop sign to a server that missed both', () => {
    const { c, leader } = kvCluster(113);
    const f = followers(asPlain(c), leader)[0] as number;
    c.isolate(f);
    decideAll(asPlain(c), ['a=1', 'b=2'], leader, [leader]);
    c.replica(leader).reconfigure({ configurationId: 2, nodes: [1, 2, 4] });
    c.runUntil(() => c.replica(leader).isReconfigured() !== undefined, 10 * ELECTION, 'stop sign decided');
    c.healAll();
    c.runUntil(() => c.replica(f).isReconfigured() !== undefined, 40 * ELECTION, 'follower learns the stop sign');
    // With snapshot logic the leader sends the decided entries as a snapshot, as OmniPaxos does.
    expect(stateOf(c, f)).toEqual({ a: '1', b: '2' });
    expect(c.replica(f).read(2)).toMatchObject({ kind: 'StopSign', decided: true });
  });

  it('syncs only a stop sign when the entries were already there', () => {
    const { c, leader } = kvCluster(114);
    const f = followers(asPlain(c), leader)[0] as number;
    decideAll(asPlain(c), ['a=1'], leader);
    c.isolate(f);
    c.replica(leader).reconfigure({ configurationId: 2, nodes: [1, 2, 3] });
    c.runUntil(() => c.replica(leader).isReconfigured() !== undefined, 10 * ELECTION, 'stop sign decided');
    c.healAll();
    c.runUntil(() => c.replica(f).isReconfigured() !== undefined, 40 * ELECTION, 'follower learns the stop sign');
    expect(stateOf(c, f)).toEqual({ a: '1' });
    expect(c.replica(f).read(1)).toEqual({
      kind: 'StopSign',
      stopSign: { nextConfig: { configurationId: 2, nodes: [1, 2, 3] } },
      decided: true,
    });
  });

  it('syncs only a snapshot when every entry was compacted', () => {
    const { c, leader } = kvCluster(115);
    const f = followers(asPlain(c), leader)[0] as number;
    c.isolate(f);
    decideAll(asPlain(c), ['a=1', 'b=2', 'a=3'], leader, [leader]);
    c.replica(leader).snapshot(undefined, false);
    c.stabilize();
    c.healAll();
    c.runUntil(() => c.replica(f).getDecidedIdx() === 3, 40 * ELECTION, 'follower synced');
    expect(c.replica(f).readEntries(0, 3)).toEqual([{ kind: 'Snapshotted', trimmedIdx: 3, snapshot: { a: '3', b: '2' } }]);
  });

  it('a new leader whose log is behind a snapshotted follower syncs from that follower', () => {
    const { c, leader } = kvCluster(116, 5);
    const others = followers(asPlain(c), leader);
    const behind = others[0] as number;
    c.isolate(behind);
    decideAll(asPlain(c), values('k', 20).map((k, i) => `${k}=${i}`), leader, [leader]);
    c.replica(leader).snapshot(undefined, false);
    c.stabilize();
    c.healAll();
    c.crash(leader);
    const next = waitForStableLeader(asPlain(c), 60 * ELECTION, leader);
    decideAll(asPlain(c), ['z=1'], next);
    for (const p of c.aliveNodes()) expect(stateOf(c, p)).toEqual(stateOf(c, next));
  });
});

describe('delta snapshots from a delayed promise', () => {
  it('never merges a delta onto a log decided past the delta’s start (entries would count twice)', () => {
    // Snapshots that concatenate entries show a double merge at once (a key-value merge would hide it).
    const c = new Cluster<number, number[]>({
      seed: 117,
      nodes: 3,
      snapshot: { create: (es) => es.slice(), merge: (a, b) => a.concat(b) },
      serverConfig: { electionTickTimeout: ELECTION, resendMessageTickTimeout: 4 * ELECTION },
    });
    const leader = waitForStableLeader(c as unknown as Cluster<string>);
    const f = c.nodes.find((p) => p !== leader) as number;
    for (let i = 0; i < 5; i++) c.propose(leader, 100 + i);
    c.stabilize();
    // A new ballot: the follower promises with decided index 5; keep a copy of that Promise.
    let stale: Message<number, number[]> | undefined;
    c.dropIf = (m) => {
      if (stale === undefined && m.from === f && m.kind === 'SequencePaxos' && m.msg.type === 'Promise') stale = structuredClone(m);
      return false;
    };
    c.replica(leader).tryBecomeLeader();
    c.stabilize();
    c.dropIf = undefined;
    for (let i = 0; i < 5; i++) c.propose(leader, 200 + i);
    c.stabilize();
    expect(c.replica(f).getDecidedIdx()).toBe(10);
    // The stale Promise (decided 5) reaches the leader late: its answer must not double 200..204.
    if (!stale) throw new Error('no Promise was captured');
    c.replica(leader).handleIncoming(stale);
    c.stabilize();
    c.tick(10 * ELECTION);
    c.snapshot(f, undefined, true);
    const expected = [100, 101, 102, 103, 104, 200, 201, 202, 203, 204];
    expect(c.replica(f).read(0)).toEqual({ kind: 'Snapshotted', trimmedIdx: 10, snapshot: expected });
    c.snapshot(leader, undefined, true);
    expect(c.replica(leader).read(0)).toEqual({ kind: 'Snapshotted', trimmedIdx: 10, snapshot: expected });
  });
});
