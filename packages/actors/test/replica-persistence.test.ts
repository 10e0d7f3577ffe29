import type { NodeId } from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import { assign, createActor, setup, spawnChild } from 'xstate';
import { type ReplicaDeps, type ReplicaEmitted, type ReplicaRef, appendTo, replicaLogic } from '../src/index.js';
import { FAST, TICK_MS, makeWorld } from './xstate-harness.js';

/** orderService is a user machine holding three replica children and a log per replica, fed by delivered entries. */
function orderService(deps: ReplicaDeps<string>) {
  return setup({
    types: {} as { context: { log: Record<number, string[]> }; events: ReplicaEmitted<string> },
    actors: { replica: replicaLogic<string>(deps) },
  }).createMachine({
    context: { log: {} },
    entry: [1, 2, 3].map((pid) =>
      spawnChild('replica', { id: `replica-${pid}`, systemId: `replica-${pid}`, input: { pid, nodes: [1, 2, 3], tickMs: TICK_MS, server: FAST } }),
    ),
    on: {
      'omnipaxos.delivered': {
        actions: assign({
          log: ({ context, event }) => ({ ...context.log, [event.pid]: [...(context.log[event.pid] ?? []), ...event.items.map((i) => `${i.idx}:${i.entry}`)] }),
        }),
      },
    },
  });
}

type Service = ReturnType<typeof createActor<ReturnType<typeof orderService>>>;
const replicaOf = (svc: Service, pid: NodeId): ReplicaRef<string> => svc.system.get(`replica-${pid}`) as ReplicaRef<string>;
const leaderOf = (svc: Service): NodeId | undefined => {
  const leaders = new Set([1, 2, 3].map((p) => replicaOf(svc, p).getSnapshot().context.leader));
  return leaders.size === 1 ? [...leaders][0] : undefined;
};

describe('persisting a machine that holds replica children', () => {
  it('serialises with JSON.stringify (kilobytes), restores from the storages and keeps its decided log', async () => {
    const w = makeWorld<string>(3);
    const machine = orderService(w.deps);
    const svc = createActor(machine, { clock: w.clock }).start();
    await w.until(() => leaderOf(svc) !== undefined, 500, 'a leader');
    const first = ['a', 'b', 'c', 'd', 'e'].map((e, i) => appendTo(replicaOf(svc, ((i % 3) + 1) as NodeId), e));
    let done = false;
    void Promise.all(first).then(() => (done = true));
    await w.until(() => done && [1, 2, 3].every((p) => (svc.getSnapshot().context.log[p] ?? []).length === 5), 1000, 'five entries everywhere');
    const before = svc.getSnapshot().context.log;

    const json = JSON.stringify(svc.getPersistedSnapshot());
    expect(json.length).toBeLessThan(8 * 1024);
    expect(json).not.toContain('MemoryStorage');
    svc.stop();
    expect(w.transport.registered.size).toBe(0);

    // A new process: the same deps (storages and network), the machine restored from the JSON.
    const restored = createActor(machine, { clock: w.clock, snapshot: JSON.parse(json) }).start();
    expect(restored.getSnapshot().context.log).toEqual(before);
    expect([...w.transport.registered.keys()].sort()).toEqual([1, 2, 3]);
    await w.until(() => leaderOf(restored) !== undefined, 1000, 'a leader after restore');
    const r = await (async () => {
      const p = appendTo(replicaOf(restored, 2), 'f');
      let out: { idx: number } | undefined;
      void p.then((v) => (out = v));
      await w.until(() => out !== undefined, 1000, 'f decided');
      return out as { idx: number };
    })();
    expect(r.idx).toBe(5);
    await w.until(() => [1, 2, 3].every((p) => (restored.getSnapshot().context.log[p] ?? []).length === 6), 1000, 'f everywhere');
    // Delivered once per replica: nothing of the first run was delivered again after the restore.
    for (const p of [1, 2, 3]) {
      const log = restored.getSnapshot().context.log[p] ?? [];
      expect(log.slice(0, 5)).toEqual(before[p]);
      expect(log[5]).toBe('5:f');
    }
    restored.stop();
    expect(w.transport.registered.size).toBe(0);
    await w.router.close();
  });

  it('a replica spawned again continues where the last one left off; fromIdx asks for a replay from there', async () => {
    const w = makeWorld<string>(5);
    const svc = createActor(orderService(w.deps), { clock: w.clock }).start();
    await w.until(() => leaderOf(svc) !== undefined, 500, 'a leader');
    let done = false;
    void Promise.all(['a', 'b', 'c', 'd'].map((e) => appendTo(replicaOf(svc, 1), e))).then(() => (done = true));
    await w.until(() => done && (svc.getSnapshot().context.log[1] ?? []).length === 4, 1000, 'four entries');
    svc.stop();

    const logic = replicaLogic<string>(w.deps);
    const delivered = (fromIdx: number | undefined): { idxs: number[]; stop(): void } => {
      const idxs: number[] = [];
      const input = { pid: 1, nodes: [1, 2, 3], tickMs: TICK_MS, ...(fromIdx === undefined ? {} : { fromIdx }) };
      const a = createActor(logic, { clock: w.clock, input, id: 'replica-1' });
      a.on('omnipaxos.delivered', (e) => idxs.push(...e.items.map((i) => i.idx)));
      a.start();
      return { idxs, stop: () => a.stop() };
    };
    const all = delivered(undefined);
    await w.advance(5);
    all.stop();
    const respawned = delivered(undefined); // the same id again: it continues where the first left off
    await w.advance(5);
    respawned.stop();
    const tail = delivered(2);
    await w.advance(5);
    tail.stop();
    const replay = delivered(0);
    await w.advance(5);
    replay.stop();
    expect(all.idxs).toEqual([0, 1, 2, 3]);
    expect(respawned.idxs).toEqual([]);
    expect(tail.idxs).toEqual([2, 3]);
    expect(replay.idxs).toEqual([0, 1, 2, 3]);
    await w.router.close();
  });
});
