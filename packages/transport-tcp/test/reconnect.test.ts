import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport } from '../src/index.js';
import { type Entry, Inbox, Signal, heartbeat, mulberry32, node, startCluster } from './helpers.js';

describe('TcpTransport reconnect', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('redials after the connection is destroyed and calls reconnected on both sides', async () => {
    const signal = new Signal();
    const cluster = await startCluster([1, 2], signal);
    cleanups.push(cluster.close);
    const one = node(cluster.nodes, 1);
    const two = node(cluster.nodes, 2);
    await signal.until(() => one.transport.linkState(2) === 'connected' && two.transport.linkState(1) === 'connected', 'first connection');
    expect(one.inbox.reconnects).toEqual([]);

    two.transport.dropConnection(1); // the acceptor drops it; the dialer (pid 1) must redial
    await signal.until(() => one.inbox.reconnects.length === 1 && two.inbox.reconnects.length === 1, 'reconnected on both sides');
    expect(one.inbox.reconnects).toEqual([2]);
    expect(two.inbox.reconnects).toEqual([1]);
    expect(one.transport.stats().peers[0]?.connects).toBe(2);

    one.transport.send(heartbeat(1, 2, 42));
    two.transport.send(heartbeat(2, 1, 43));
    await signal.until(() => two.inbox.rounds(1).includes(42) && one.inbox.rounds(2).includes(43), 'traffic after reconnect');
  });

  it('reconnects to a peer process that restarted on the same port', async () => {
    const signal = new Signal();
    const cluster = await startCluster([1, 2], signal);
    cleanups.push(cluster.close);
    const one = node(cluster.nodes, 1);
    await signal.until(() => one.transport.linkState(2) === 'connected', 'first connection');
    const port = node(cluster.nodes, 2).transport.address()?.port;
    await node(cluster.nodes, 2).transport.close();
    await signal.until(() => one.transport.linkState(2) !== 'connected', 'link down after the peer stopped');

    const inbox = new Inbox(signal);
    const restarted = new TcpTransport<Entry>({
      pid: 2,
      clusterId: 'test-cluster',
      listen: { host: '127.0.0.1', port: port ?? 0 },
      peers: { 1: one.transport.address() ?? { host: '127.0.0.1', port: 0 } },
      random: mulberry32(22),
    });
    restarted.register(2, inbox);
    await restarted.start();
    cleanups.push(() => restarted.close());
    await signal.until(() => one.inbox.reconnects.includes(2), 'reconnected(2) on pid 1');
    expect(inbox.reconnects).toEqual([]); // the restarted process sees its first connection
    one.transport.send(heartbeat(1, 2, 7));
    await signal.until(() => inbox.rounds(1).includes(7), 'delivery to the restarted peer');
  });

  it('cuts and heals a link with setLinkEnabled, from either side', async () => {
    const signal = new Signal();
    const cluster = await startCluster([1, 2, 3], signal);
    cleanups.push(cluster.close);
    const [one, two, three] = [1, 2, 3].map((p) => node(cluster.nodes, p));
    if (one === undefined || two === undefined || three === undefined) throw new Error('nodes');
    await signal.until(() => one.transport.stats().peers.every((p) => p.state === 'connected'), 'links of pid 1');

    one.transport.setLinkEnabled(2, false); // cut at the dialer
    three.transport.setLinkEnabled(1, false); // cut at the acceptor
    expect(one.transport.linkState(2)).toBe('disabled');
    await signal.until(() => two.transport.linkState(1) !== 'connected', 'pid 2 sees the cut');
    one.transport.send(heartbeat(1, 2, 1)); // dropped: the link is cut
    expect(one.transport.stats().peers.find((p) => p.pid === 2)?.dropped).toBe(1);
    // pid 1 may not have noticed pid 3's cut yet: what it sends now may be lost (best effort), but it
    // redials, and pid 3 refuses every handshake while the link is cut.
    await signal.until(() => three.transport.stats().rejectedConnections > 0, 'pid 3 refuses pid 1');
    expect(three.logger.warnings.some((w) => w.includes('link to pid 1 is disabled'))).toBe(true);
    two.transport.send(heartbeat(2, 3, 9)); // unaffected link
    await signal.until(() => three.inbox.rounds(2).includes(9), 'the 2-3 link still works');

    one.transport.setLinkEnabled(2, true);
    three.transport.setLinkEnabled(1, true);
    await signal.until(
      () => one.inbox.reconnects.includes(2) && one.inbox.reconnects.includes(3),
      'both links of pid 1 come back',
    );
    one.transport.send(heartbeat(1, 2, 2));
    one.transport.send(heartbeat(1, 3, 2));
    await signal.until(() => two.inbox.rounds(1).includes(2) && three.inbox.rounds(1).includes(2), 'traffic after healing');
    expect(two.inbox.rounds(1)).toEqual([2]);
  });
});
