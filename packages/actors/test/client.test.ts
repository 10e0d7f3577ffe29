import { MemoryStorage } from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import { type AnyActorRef, SimulatedClock, createActor, fromCallback, setup } from 'xstate';
import { type ReplicatedEntry, Router, replicaSupervisor } from '../src/index.js';
import { TICK_MS, drive, settle, startCluster } from './cluster-harness.js';

describe('client appends', () => {
  it('resolves every append exactly once with the index it has on every replica, despite drops', async () => {
    const nodes = [1, 2, 3];
    const c = startCluster<string>(nodes, () => ({ reproposeTicks: 15 }), 7);
    await c.until(() => c.leader() !== undefined, 500, 'a leader');
    for (const a of nodes) for (const b of nodes) if (a !== b) c.router.setDropProbability(a, b, 0.2);
    const resolved = new Map<string, number[]>();
    const promises: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      const pid = nodes[i % 3] as number;
      const entry = `e${i}`;
      promises.push(
        c.replica(pid).append(entry).then(({ idx }) => {
          resolved.set(entry, [...(resolved.get(entry) ?? []), idx]);
        }),
      );
    }
    await drive(c, Promise.all(promises), 5000);
    for (const a of nodes) for (const b of nodes) if (a !== b) c.router.setDropProbability(a, b, 0);
    await c.until(() => [...c.replicas.values()].every((r) => r.getDecided().length === 30), 2000, 'all delivered');
    await c.advance(100);
    const logs = [...c.replicas.values()].map((r) => r.getDecided().map((d) => `${d.idx}:${d.entry}`));
    expect(logs[1]).toEqual(logs[0]);
    expect(logs[2]).toEqual(logs[0]);
    expect(logs[0]).toHaveLength(30); // duplicates of re-proposals are never delivered
    for (const [entry, idxs] of resolved) {
      expect(idxs).toHaveLength(1);
      expect(logs[0]?.[idxs[0] as number]).toBe(`${idxs[0]}:${entry}`);
    }
    expect(resolved.size).toBe(30);
    await c.stop();
  });

  it('rejects pending and later appends with a Shutdown ReplicaError after stop', async () => {
    const c = startCluster<string>([1, 2, 3]);
    const early = c.replica(1).append('x'); // no leader yet: held back
    await settle();
    await c.replica(1).stop();
    await expect(early).rejects.toMatchObject({ name: 'ReplicaError', code: 'Shutdown' });
    await expect(c.replica(1).append('y')).rejects.toMatchObject({ code: 'Shutdown' });
    await c.stop();
  });

  it('rejects with Overflow when too many proposals are held back', async () => {
    const c = startCluster<string>([1, 2, 3], () => ({ maxHeldProposals: 2 }));
    const ps = ['a', 'b', 'c'].map((e) => c.replica(1).append(e));
    await expect(ps[2]).rejects.toMatchObject({ code: 'Overflow' });
    const ok = await drive(c, Promise.all([ps[0], ps[1]]), 1000);
    expect(ok.map((r) => r?.idx)).toEqual([0, 1]);
    await c.stop();
  });

  it('keeps the replica deciding when a user actor composed next to it throws', async () => {
    const clock = new SimulatedClock();
    const router = new Router<ReplicatedEntry<unknown>>({ clock, tickMs: TICK_MS });
    const delivered: unknown[] = [];
    const userErrors: unknown[] = [];
    const flaky = fromCallback<{ type: 'poke' }>(({ receive }) => {
      receive(() => {
        throw new Error('user actor bug');
      });
    });
    const service = setup({
      actors: { replica: replicaSupervisor, flaky },
      types: {} as { context: { replicas: AnyActorRef[]; flaky: AnyActorRef }; events: { type: string; items?: unknown[]; error?: unknown } },
    }).createMachine({
      context: ({ spawn }) => ({
        flaky: spawn('flaky', { id: 'flaky' }),
        replicas: [1, 2, 3].map((pid) =>
          spawn('replica', {
            id: `replica-${pid}`,
            input: { pid, nodes: [1, 2, 3], storage: new MemoryStorage<ReplicatedEntry<unknown>>(), transport: router, tickMs: TICK_MS },
          }),
        ),
      }),
      on: {
        'omnipaxos.delivered': { actions: ({ event }) => delivered.push(...(event.items ?? [])) },
        'xstate.error.actor.flaky': { actions: ({ event }) => userErrors.push(event.error) },
      },
    });
    const actor = createActor(service, { clock }).start();
    const ctx = actor.getSnapshot().context;
    ctx.flaky.send({ type: 'poke' });
    await settle();
    expect(userErrors).toHaveLength(1);
    for (let i = 0; i < 100; i++) {
      if (i === 50) for (const r of ctx.replicas) r.send({ type: 'omnipaxos.append', requests: [{ rid: `r${r.id}`, entry: r.id }] });
      clock.increment(TICK_MS);
      await settle();
    }
    expect(delivered.length).toBe(9); // 3 entries, delivered to the service by each of the 3 replicas
    for (const r of ctx.replicas) expect(r.getSnapshot().status).toBe('active');
    actor.stop();
    await router.close();
  });
});
