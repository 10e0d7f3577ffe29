import {
  ConfigError,
  MemoryStorage,
  type Message,
  OmniPaxos,
  type OmniPaxosConfig,
  ProposeError,
  resolveServerConfig,
} from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import { ELECTION, followers, startCluster } from './cluster-helpers.js';

const ok: OmniPaxosConfig = { clusterConfig: { configurationId: 1, nodes: [1, 2, 3] }, serverConfig: { pid: 1 } };

describe('configuration validation', () => {
  it.each<[string, OmniPaxosConfig]>([
    ['configurationId 0', { ...ok, clusterConfig: { configurationId: 0, nodes: [1, 2, 3] } }],
    ['pid 0', { ...ok, serverConfig: { pid: 0 } }],
    ['pid not among the nodes', { ...ok, serverConfig: { pid: 4 } }],
    ['no node', { clusterConfig: { configurationId: 1, nodes: [] }, serverConfig: { pid: 1 } }],
    ['duplicate node ids', { ...ok, clusterConfig: { configurationId: 1, nodes: [1, 2, 2] } }],
    ['a negative node id', { ...ok, clusterConfig: { configurationId: 1, nodes: [1, -2, 3] } }],
    ['quorums that do not intersect', { ...ok, clusterConfig: { configurationId: 1, nodes: [1, 2, 3, 4], flexibleQuorum: { readQuorumSize: 2, writeQuorumSize: 2 } } }],
    ['a read quorum of 1', { ...ok, clusterConfig: { configurationId: 1, nodes: [1, 2, 3], flexibleQuorum: { readQuorumSize: 1, writeQuorumSize: 3 } } }],
    ['a write quorum larger than the cluster', { ...ok, clusterConfig: { configurationId: 1, nodes: [1, 2, 3], flexibleQuorum: { readQuorumSize: 2, writeQuorumSize: 4 } } }],
    ['a zero election timeout', { ...ok, serverConfig: { pid: 1, electionTickTimeout: 0 } }],
    ['a fractional batch size', { ...ok, serverConfig: { pid: 1, batchSize: 1.5 } }],
  ])('rejects %s with ConfigError', (_, config) => {
    expect(() => new OmniPaxos(config, new MemoryStorage())).toThrow(ConfigError);
  });

  it('fills in defaults and keeps given values', () => {
    expect(resolveServerConfig({ ...ok, serverConfig: { pid: 1, batchSize: 64 } })).toMatchObject({
      pid: 1,
      batchSize: 64,
      electionTickTimeout: 5,
      bufferSize: 100_000,
    });
  });

  // Issue 14, bug 3: setPriority(1.5) was taken, and peers then dropped every heartbeat and Prepare of
  // that node (a ballot's priority must be an integer >= 0), so it could never lead again.
  it.each([1.5, -1, Number.NaN, Number.POSITIVE_INFINITY])('setPriority(%s) throws ConfigError like the config check', (p) => {
    const r = new OmniPaxos<string>(ok, new MemoryStorage());
    expect(() => r.setPriority(p)).toThrow(ConfigError);
    r.setPriority(7);
    expect(() => new OmniPaxos(ok, new MemoryStorage()).setPriority(0)).not.toThrow();
  });

  it('accepts a valid flexible quorum', () => {
    const config = { ...ok, clusterConfig: { configurationId: 1, nodes: [1, 2, 3, 4, 5], flexibleQuorum: { readQuorumSize: 4, writeQuorumSize: 2 } } };
    expect(() => new OmniPaxos(config, new MemoryStorage())).not.toThrow();
  });
});

describe('proposal errors', () => {
  it('refuses entries after a stop sign, handing the entry back', () => {
    const { c, leader } = startCluster(3, 131);
    c.reconfigure(leader, { configurationId: 2, nodes: [1, 2, 3] });
    c.stabilize();
    let caught: unknown;
    try {
      c.replica(leader).append('late');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ProposeError);
    expect(caught).toMatchObject({ code: 'PendingReconfig', entry: 'late' });
    expect(() => c.replica(leader).reconfigure({ configurationId: 3, nodes: [1, 2] })).toThrow(ProposeError);
  });

  it('refuses a reconfiguration to an older or invalid configuration', () => {
    const { c, leader } = startCluster(3, 132);
    expect(() => c.replica(leader).reconfigure({ configurationId: 1, nodes: [1, 2, 4] })).toThrow(ConfigError);
    expect(() => c.replica(leader).reconfigure({ configurationId: 2, nodes: [] })).toThrow(ConfigError);
  });

  it('throws BufferFull once bufferSize proposals wait for a leader', () => {
    const r = new OmniPaxos<string>({ ...ok, serverConfig: { pid: 1, bufferSize: 3 } }, new MemoryStorage());
    r.append('a');
    r.append('b');
    r.append('c');
    expect(() => r.append('d')).toThrow(expect.objectContaining({ code: 'BufferFull', entry: 'd' }));
  });
});

describe('a full proposal buffer', () => {
  it('drops proposals forwarded by a peer instead of throwing from handleIncoming', () => {
    const r = new OmniPaxos<string>({ ...ok, serverConfig: { pid: 1, bufferSize: 1 } }, new MemoryStorage());
    r.tryBecomeLeader(); // Prepare phase: proposals wait in the buffer
    const forward = (entries: string[]) =>
      r.handleIncoming({ kind: 'SequencePaxos', from: 2, to: 1, msg: { type: 'ProposalForward', entries } });
    expect(() => forward(['a', 'b'])).not.toThrow();
    expect(() => forward(['c'])).not.toThrow();
    expect(() => r.append('local')).toThrow(expect.objectContaining({ code: 'BufferFull', entry: 'local' }));
  });
});

describe('bad input is ignored', () => {
  it('ignores messages for another node, from strangers, of another configuration, or malformed', () => {
    const { c, leader } = startCluster(3, 141);
    const f = followers(c, leader)[0] as number;
    const r = c.replica(f);
    const before = JSON.stringify([r.getStatus(), r.getDecidedIdx(), r.getAcceptedIdx()]);
    const promise = r.getPromise();
    const seqNum = { session: 99, counter: 1 };
    const junk: unknown[] = [
      { kind: 'SequencePaxos', from: leader, to: 99, msg: { type: 'AcceptDecide', n: promise, seqNum, decidedIdx: 0, entries: ['x'] } },
      { kind: 'SequencePaxos', from: 77, to: f, msg: { type: 'AcceptDecide', n: promise, seqNum, decidedIdx: 0, entries: ['x'] } },
      { kind: 'SequencePaxos', from: leader, to: f, msg: { type: 'AcceptDecide', n: { ...promise, configId: 9 }, seqNum, decidedIdx: 0, entries: ['x'] } },
      { kind: 'SequencePaxos', from: leader, to: f, msg: { type: 'NoSuchType' } },
      { kind: 'SequencePaxos', from: leader, to: f, msg: null },
      { kind: 'SequencePaxos', from: leader, to: f, msg: { type: 'Prepare', n: null } },
      { kind: 'Gossip', from: leader, to: f },
      null,
      42,
    ];
    for (const m of junk) r.handleIncoming(m as Message<string>);
    expect(JSON.stringify([r.getStatus(), r.getDecidedIdx(), r.getAcceptedIdx()])).toBe(before);
    c.propose(leader, 'still-works');
    c.runUntil(() => c.decidedValues(f).includes('still-works'), 10 * ELECTION, 'progress after junk');
  });

  it('answers a stale ballot with NotAccepted instead of accepting it', () => {
    const { c, leader } = startCluster(3, 142);
    const f = followers(c, leader)[0] as number;
    const stale = { ...c.replica(f).getPromise(), n: 0 };
    c.replica(f).takeOutgoingMessages();
    c.replica(f).handleIncoming({ kind: 'SequencePaxos', from: leader, to: f, msg: { type: 'Decide', n: stale, seqNum: { session: 1, counter: 9 }, decidedIdx: 5 } });
    const out = c.replica(f).takeOutgoingMessages();
    expect(out.map((m) => m.kind === 'SequencePaxos' && m.msg.type)).toContain('NotAccepted');
    expect(c.replica(f).getDecidedIdx()).toBe(0);
  });

  it('messages survive structuredClone and JSON round trips unchanged', () => {
    const { c, leader } = startCluster(3, 143);
    c.propose(leader, 'x');
    const out = c.replica(leader).takeOutgoingMessages();
    expect(out.length).toBeGreaterThan(0);
    for (const m of out) {
      expect(structuredClone(m)).toEqual(m);
      expect(JSON.parse(JSON.stringify(m))).toEqual(m);
    }
  });
});

describe('malformed messages never corrupt state', () => {
  it('drops accepts whose fields have the wrong shape', () => {
    const { c, leader } = startCluster(3, 144);
    const f = followers(c, leader)[0] as number;
    const r = c.replica(f);
    const n = r.getPromise();
    const bad: unknown[] = [
      { type: 'AcceptDecide', n, seqNum: { session: 1, counter: 2 }, decidedIdx: 0, entries: 'not-an-array' },
      { type: 'AcceptDecide', n, seqNum: { session: 1, counter: 2 }, decidedIdx: -1, entries: [] },
      { type: 'AcceptDecide', n, seqNum: { session: 'x', counter: 2 }, decidedIdx: 0, entries: [] },
      { type: 'Decide', n, seqNum: { session: 1, counter: 2 }, decidedIdx: 1.5 },
      { type: 'AcceptSync', n, seqNum: { session: 9, counter: 1 }, decidedIdx: 0, logSync: { suffix: [], syncIdx: 'zero' } },
      { type: 'Promise', n, nAccepted: n, decidedIdx: 0, acceptedIdx: Number.NaN },
    ];
    for (const msg of bad) r.handleIncoming({ kind: 'SequencePaxos', from: leader, to: f, msg } as Message<string>);
    expect(r.getAcceptedIdx()).toBe(0);
    expect(r.getDecidedIdx()).toBe(0);
    expect(Number.isInteger(r.getAcceptedIdx())).toBe(true);
  });
});
