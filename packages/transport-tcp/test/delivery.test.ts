import { afterEach, describe, expect, it } from 'vitest';
import { Signal, acceptDecide, allConnected, heartbeat, node, startCluster } from './helpers.js';

describe('TcpTransport delivery', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('delivers messages both ways among three transports, in order per link', async () => {
    const signal = new Signal();
    const cluster = await startCluster([1, 2, 7], signal);
    close = cluster.close;
    const { nodes } = cluster;
    const pids = [1, 2, 7];
    for (const from of pids) {
      for (const to of pids) {
        if (from === to) continue;
        for (let round = 1; round <= 20; round++) node(nodes, from).transport.send(heartbeat(from, to, round));
      }
    }
    await signal.until(() => pids.every((p) => node(nodes, p).inbox.messages.length === 40), 'all 120 messages');
    for (const to of pids) {
      for (const from of pids) {
        if (from === to) continue;
        expect(node(nodes, to).inbox.rounds(from)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      }
      expect(node(nodes, to).inbox.messages.every((m) => m.to === to)).toBe(true);
    }
    expect(allConnected(nodes)).toBe(true);
    const stats = node(nodes, 1).transport.stats();
    expect(stats.peers.map((p) => [p.pid, p.dialer, p.sent, p.received])).toEqual([
      [2, true, 20, 20],
      [7, true, 20, 20],
    ]);
    expect(node(nodes, 7).transport.stats().peers.every((p) => !p.dialer)).toBe(true);
    expect(node(nodes, 1).inbox.reconnects).toEqual([]);
  });

  it('delivers Sequence Paxos messages with entries as fresh plain data', async () => {
    const signal = new Signal();
    const cluster = await startCluster([3, 4], signal);
    close = cluster.close;
    const entries = [{ key: 'a', value: 1 }, { key: 'b', value: 2 }];
    const sent = acceptDecide(4, 3, entries);
    node(cluster.nodes, 4).transport.send(sent);
    entries[0]!.value = 99; // mutating after send must not change what is delivered
    await signal.until(() => node(cluster.nodes, 3).inbox.messages.length === 1, 'the AcceptDecide');
    const got = node(cluster.nodes, 3).inbox.messages[0];
    expect(got).toEqual(acceptDecide(4, 3, [{ key: 'a', value: 1 }, { key: 'b', value: 2 }]));
  });

  it('delivers a message addressed to itself locally, and counts unroutable ones', async () => {
    const signal = new Signal();
    const cluster = await startCluster([1, 2], signal);
    close = cluster.close;
    const one = node(cluster.nodes, 1);
    one.transport.send(heartbeat(1, 1, 5));
    one.transport.send(heartbeat(1, 9, 5)); // no such peer
    one.transport.send(heartbeat(2, 1, 5)); // not from this node
    await signal.until(() => one.inbox.messages.length === 1, 'local delivery');
    expect(one.inbox.rounds(1)).toEqual([5]);
    expect(one.transport.stats().unroutable).toBe(2);
  });

  it('queues messages sent before the link is up and delivers them once connected', async () => {
    const signal = new Signal();
    const cluster = await startCluster([1, 2], signal);
    close = cluster.close;
    // Right after start the link may still be connecting: sends are queued, not lost.
    for (let round = 1; round <= 5; round++) node(cluster.nodes, 2).transport.send(heartbeat(2, 1, round));
    await signal.until(() => node(cluster.nodes, 1).inbox.messages.length === 5, 'queued messages');
    expect(node(cluster.nodes, 1).inbox.rounds(2)).toEqual([1, 2, 3, 4, 5]);
  });

  it('carries extra message kinds only when given their check (e.g. reconfiguration handover envelopes)', async () => {
    const signal = new Signal();
    const isAck = (x: unknown): boolean => {
      const m = x as { msg?: { type?: unknown; configurationId?: unknown } };
      return m.msg?.type === 'ReconfigAck' && typeof m.msg.configurationId === 'number';
    };
    const cluster = await startCluster([1, 2], signal, { extraKinds: { Migration: isAck } });
    close = cluster.close;
    const one = node(cluster.nodes, 1);
    const two = node(cluster.nodes, 2);
    const ack = { kind: 'Migration', from: 1, to: 2, msg: { type: 'ReconfigAck', configurationId: 2 } };
    one.transport.send(ack as unknown as Parameters<typeof one.transport.send>[0]);
    await signal.until(() => two.inbox.messages.length === 1, 'the Migration message');
    expect(two.inbox.messages[0]).toEqual(ack);
    const bad = { ...ack, msg: { type: 'ReconfigAck', configurationId: 'two' } };
    one.transport.send(bad as unknown as Parameters<typeof one.transport.send>[0]);
    await signal.until(() => two.logger.warnings.some((w) => w.includes('malformed Migration message')), 'the refusal');
    expect(two.inbox.messages).toHaveLength(1);
  });
});
