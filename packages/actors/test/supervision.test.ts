import { MemoryStorage, type NodeId } from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import { type AnyActorRef, SimulatedClock, createActor, setup } from 'xstate';
import { type ReplicatedEntry, Router, replicaSupervisor } from '../src/index.js';
import { TICK_MS, drive, settle, startCluster } from './cluster-harness.js';
import { FaultyStorage } from './faulty-storage.js';

describe('supervision', () => {
  it('restarts the leader Paxos actor from storage after a storage failure and keeps deciding', async () => {
    const storages = new Map<NodeId, FaultyStorage<ReplicatedEntry<string>>>();
    const c = startCluster<string>([1, 2, 3], (pid) => {
      const s = new FaultyStorage<ReplicatedEntry<string>>();
      storages.set(pid, s);
      return { storage: s };
    });
    await c.until(() => c.leader() !== undefined, 500, 'a leader');
    const leader = c.leader() as number;
    const restarts: unknown[] = [];
    c.replica(leader).actor.on('omnipaxos.restarted', (e) => restarts.push(e.error));
    await drive(c, c.replica(leader).append('a'));
    (storages.get(leader) as FaultyStorage<ReplicatedEntry<string>>).armed = true;
    const b = c.replica(leader).append('b');
    const c2 = c.replica(leader).append('c');
    const res = await drive(c, Promise.all([b, c2]), 3000);
    expect(restarts).toHaveLength(1);
    expect((restarts[0] as Error).name).toBe('StorageError');
    expect(res.map((r) => r.idx).sort()).toEqual([1, 2]);
    await c.until(() => [...c.replicas.values()].every((r) => r.getDecided().length === 3));
    for (const r of c.replicas.values()) expect(r.getDecided().map((d) => d.entry).slice(0, 1)).toEqual(['a']);
    await c.stop();
  });

  it('restarts a child that crashed with any thrown error', async () => {
    const c = startCluster<number>([1, 2, 3]);
    await c.until(() => c.leader() !== undefined, 500, 'a leader');
    const leader = c.leader() as number;
    const restarted: number[] = [];
    c.replica(leader).actor.on('omnipaxos.restarted', (e) => restarted.push(e.restarts));
    c.replica(leader).crash('paxos', new TypeError('boom'));
    c.replica(leader).crash('election', new RangeError('boom again'));
    await c.advance(100);
    expect(restarted.length).toBeGreaterThanOrEqual(1);
    const r = await drive(c, c.replica(leader).append(42), 3000);
    expect(r.idx).toBe(0);
    await c.stop();
  });

  it('fails (status error) when the restart budget is spent, so its parent gets xstate.error.actor.<id>', async () => {
    const clock = new SimulatedClock();
    const router = new Router<ReplicatedEntry<unknown>>({ clock, tickMs: TICK_MS });
    const escalations: unknown[] = [];
    const parent = setup({
      actors: { replica: replicaSupervisor },
      types: {} as { context: { replicas: AnyActorRef[] }; events: { type: string; pid?: NodeId; error?: unknown } },
    }).createMachine({
      context: ({ spawn }) => ({
        replicas: [1, 2, 3].map((pid) =>
          spawn('replica', {
            id: `replica-${pid}`,
            input: {
              pid,
              nodes: [1, 2, 3],
              storage: new MemoryStorage<ReplicatedEntry<unknown>>(),
              transport: router,
              tickMs: TICK_MS,
              supervision: { maxRestarts: 2, windowTicks: 1000, backoffTicks: 1 },
            },
          }),
        ),
      }),
      on: { 'xstate.error.actor.replica-1': { actions: ({ event }) => escalations.push(event) } },
    });
    const service = createActor(parent, { clock }).start();
    const replica1 = service.getSnapshot().context.replicas[0] as AnyActorRef;
    for (let i = 0; i < 3; i++) {
      replica1.send({ type: 'omnipaxos.crash', child: 'paxos', error: new Error(`crash ${i}`) });
      for (let t = 0; t < 20; t++) {
        clock.increment(TICK_MS);
        await settle();
      }
    }
    expect(escalations).toHaveLength(1);
    const error = (escalations[0] as { error: Error }).error;
    expect(error.name).toBe('SupervisionError');
    expect(error).toMatchObject({ pid: 1, restarts: 2 });
    expect(replica1.getSnapshot().status).toBe('error');
    service.stop();
    await router.close();
  });
});
