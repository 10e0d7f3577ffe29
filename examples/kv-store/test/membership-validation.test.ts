import { afterAll, describe, expect, it } from 'vitest';
import { KvClient } from '../src/client.js';
import { ProcessCluster, eventually, replicationPort } from './cluster-harness.js';

/** raw sends one HTTP request and returns its status and JSON body (errors included). */
async function raw(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** serves checks that a write through `client` is decided and the configuration is still `configurationId`. */
async function serves(client: KvClient, configurationId: number, key: string): Promise<void> {
  await eventually(`a write through ${client.url}`, () => client.put(key, 'v'));
  expect((await client.status()).configuration.configurationId).toBe(configurationId);
}

describe('kv-store: membership changes are validated before they are proposed', () => {
  const cluster = new ProcessCluster([1, 2, 3]);
  afterAll(() => cluster.stopAll());

  it('refuses client writes to internal keys, and reconfigurations to unreachable nodes, without touching the log', async () => {
    await cluster.startAll();
    await eventually('a leader', async () => {
      if ((await cluster.client(1).status()).leader === null) throw new Error('no leader yet');
    });
    await cluster.client(1).put('user', 'x');
    const url = cluster.urls.get(1) ?? '';
    const before = (await cluster.client(1).status()).decidedIdx;
    for (const [method, path, body] of [
      ['PUT', '/kv/%40peer%2F2', { value: '127.0.0.1:1' }],
      ['DELETE', '/kv/%40peer%2F2', undefined],
      ['POST', '/kv/%40membership%2Fchange/cas', { expected: null, value: 'x' }],
    ] as const) {
      const r = await raw(url, method, path, body);
      expect(r.status).toBe(403);
      expect(String(r.json.error)).toMatch(/is reserved: keys starting with "@" hold the cluster's own records/);
    }
    // {7,8,9}: no member of the current configuration, no known address.
    const away = await raw(url, 'POST', '/reconfigure', { nodes: [7, 8, 9] });
    expect(away.status).toBe(400);
    expect(String(away.json.error)).toMatch(/keeps none of the current members \{1,2,3\}/);
    const noAddress = await raw(url, 'POST', '/reconfigure', { nodes: [1, 2, 3, 7] });
    expect(noAddress.status).toBe(400);
    expect(String(noAddress.json.error)).toMatch(/replica 7 is not a member and no address was given/);
    const twoAway = await raw(url, 'POST', '/reconfigure', { nodes: [1, 7, 8], peers: { 7: '127.0.0.1:1', 8: '127.0.0.1:1' } });
    expect(twoAway.status).toBe(400);
    expect(String(twoAway.json.error)).toMatch(/keeps 1 of the 3 current members \{1,2,3\}, not a majority/);
    // Nothing reached the log: the decided index did not move, the peer addresses did not change.
    expect((await cluster.client(1).status()).decidedIdx).toBe(before);
    expect((await cluster.client(1).members()).peers['2']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await cluster.client(1).get('@peer/2')).value).toBeNull();
    await serves(cluster.client(2), 1, 'after-refusals');
  });

  it('refuses a replica whose address is wrong (nobody there, or another replica answering), and keeps serving', async () => {
    const url = cluster.urls.get(2) ?? '';
    const nobody = await raw(url, 'POST', '/members', { pid: 4, address: `127.0.0.1:${await replicationPort()}`, waitMs: 1000 });
    expect(nobody.status).toBe(400);
    expect(String(nobody.json.error)).toMatch(/replica 4 at 127\.0\.0\.1:\d+ did not answer a handshake as that pid within 1000 ms.*Nothing was changed/);
    // Replica 3's replication address answers the handshake as pid 3, not as the claimed 4.
    const port3 = cluster.specs.get(3)?.replicationPorts[3];
    const impostor = await raw(url, 'POST', '/members', { pid: 4, address: `127.0.0.1:${port3}`, waitMs: 1000 });
    expect(impostor.status).toBe(400);
    expect(String(impostor.json.error)).toMatch(/did not answer a handshake as that pid/);
    const view = await cluster.client(2).members();
    expect(view.configuration).toEqual({ configurationId: 1, nodes: [1, 2, 3] });
    expect(view.change).toBeNull();
    expect(view.peers['4']).toBeUndefined();
    for (const p of [1, 2, 3]) await serves(cluster.client(p), 1, `after-wrong-address-${p}`);
  });

  it('refuses a second membership change while the first runs, then completes the first', async () => {
    // The first change waits for replica 4, which is not started yet: it holds the change record meanwhile.
    const port4 = await replicationPort();
    const first = new KvClient(cluster.urls.get(1) ?? '', 120_000).addMember(4, `127.0.0.1:${port4}`, { waitMs: 60_000 });
    await eventually('the first change is recorded', async () => {
      if ((await cluster.client(3).members()).change === null) throw new Error('not yet');
    });
    const second = await raw(cluster.urls.get(3) ?? '', 'DELETE', '/members/2');
    expect(second.status).toBe(409);
    expect(String(second.json.error)).toMatch(/another membership change is running: to configuration 2 = \{1,2,3,4\}, through replica 1/);
    const third = await raw(cluster.urls.get(1) ?? '', 'DELETE', '/members/2');
    expect(third.status).toBe(409);
    // Replica 4 starts as the printed command would: the first change goes through.
    const spec1 = cluster.specs.get(1);
    if (!spec1) throw new Error('no spec');
    cluster.specs.set(4, { ...spec1, pid: 4, nodes: [1, 2, 3, 4], configurationId: 2, joining: true, replicationPorts: { ...spec1.replicationPorts, 4: port4 } });
    await cluster.start(4);
    const answer = await first;
    expect(answer).toMatchObject({ decided: true, proposed: { configurationId: 2, nodes: [1, 2, 3, 4] } });
    await eventually('replica 4 runs configuration 2', async () => {
      const s = await cluster.client(4).status();
      if (s.mode !== 'running' || s.configuration.configurationId !== 2) throw new Error(JSON.stringify(s.configuration));
    });
    expect((await cluster.client(4).members()).catchUp).toMatchObject({ configurationId: 2, completed: true });
    expect((await cluster.client(3).members()).change).toBeNull();
    await serves(cluster.client(4), 2, 'after-growth');
  });
});
