import { ConfigError, type NodeId } from '@omnipaxos/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AnyActorRef, assign, createActor, setup, spawnChild, stopChild } from 'xstate';
import {
  ReplicaError,
  type ReplicaDeps,
  type ReplicaEmitted,
  type ReplicaRef,
  appendTo,
  crashReplica,
  paxosActorLogic,
  replicaLogic,
} from '../src/index.js';
import { FAST, TICK_MS, makeWorld } from './xstate-harness.js';

const input = (pid: NodeId) => ({ pid, nodes: [1, 2, 3], tickMs: TICK_MS, server: FAST });

function service(deps: ReplicaDeps<string>) {
  return setup({
    types: {} as { events: ReplicaEmitted<string> | { type: 'drop'; pid: NodeId } },
    actors: { replica: replicaLogic<string>(deps) },
  }).createMachine({
    entry: [1, 2, 3].map((pid) => spawnChild('replica', { id: `replica-${pid}`, systemId: `replica-${pid}`, input: input(pid) })),
    on: {
      drop: { actions: stopChild(({ event }) => `replica-${event.pid}`) },
    },
  });
}

/** scheduledBy lists the delayed events the actor with `id` still has in its system's scheduler. */
const scheduledBy = (root: AnyActorRef, id: string): number =>
  Object.values(root.system.getSnapshot()._scheduledEvents).filter((e) => e.source.id === id).length;

describe('stopping a replica by any route', () => {
  let warn: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  it('stopChild: unregisters from the transport, rejects pending appends, leaves no timer and no warning', async () => {
    const w = makeWorld<string>(11);
    const svc = createActor(service(w.deps), { clock: w.clock }).start();
    const r2 = svc.system.get('replica-2') as ReplicaRef<string>;
    const pending = appendTo(r2, 'held'); // no leader yet: held back
    expect(scheduledBy(svc, 'replica-2')).toBe(1);
    svc.send({ type: 'drop', pid: 2 });
    await expect(pending).rejects.toMatchObject({ name: 'ReplicaError', code: 'Shutdown' });
    await expect(pending).rejects.toBeInstanceOf(ReplicaError);
    expect([...w.transport.registered.keys()].sort()).toEqual([1, 3]);
    expect(scheduledBy(svc, 'replica-2')).toBe(0);
    expect(r2.getSnapshot().status).toBe('stopped');
    await w.advance(200); // the others keep running and sending to node 2
    await expect(appendTo(r2, 'late')).rejects.toMatchObject({ code: 'Shutdown' });
    expect(warn).not.toHaveBeenCalled();
    svc.stop();
    await w.router.close();
  });

  it('parent stop: every replica child unregisters and settles its appends, with no warning', async () => {
    const w = makeWorld<string>(12);
    const svc = createActor(service(w.deps), { clock: w.clock }).start();
    const refs = [1, 2, 3].map((p) => svc.system.get(`replica-${p}`) as ReplicaRef<string>);
    const pending = refs.map((r) => appendTo(r, 'x'));
    svc.stop();
    for (const p of pending) await expect(p).rejects.toMatchObject({ code: 'Shutdown' });
    expect(w.transport.registered.size).toBe(0);
    expect(Object.keys(svc.system.getSnapshot()._scheduledEvents)).toEqual([]);
    await w.advance(100);
    expect(warn).not.toHaveBeenCalled();
    await w.router.close();
  });

  it('actor.stop() of a root replica, and the omnipaxos.stop command (done, reason stopped)', async () => {
    const w = makeWorld<string>(13);
    const logic = replicaLogic<string>(w.deps);
    const a = createActor(logic, { clock: w.clock, input: input(1) }).start();
    const b = createActor(logic, { clock: w.clock, input: input(2) }).start();
    const pa = appendTo(a, 'a');
    const pb = appendTo(b, 'b');
    a.stop();
    b.send({ type: 'omnipaxos.stop' });
    await expect(pa).rejects.toMatchObject({ code: 'Shutdown' });
    await expect(pb).rejects.toMatchObject({ code: 'Shutdown' });
    expect(a.getSnapshot().status).toBe('stopped');
    expect(b.getSnapshot()).toMatchObject({ status: 'done', output: { reason: 'stopped' } });
    expect(w.transport.registered.size).toBe(0);
    await w.advance(50);
    expect(warn).not.toHaveBeenCalled();
    await w.router.close();
  });
});

describe('failures reach the parent as actor errors', () => {
  it('invalid input fails at spawn with a ConfigError and is not restarted', async () => {
    const w = makeWorld<string>(14);
    const errors: { id: string; error: unknown }[] = [];
    const bad = [
      { id: 'zero', input: { pid: 0, nodes: [1, 2, 3] }, message: 'pid must be a positive integer, got 0' },
      { id: 'outsider', input: { pid: 4, nodes: [1, 2, 3] }, message: 'pid 4 is not among the nodes [1, 2, 3]' },
      { id: 'live', input: { pid: 1, nodes: [1, 2, 3], storage: {} }, message: "replica input holds 'storage'" },
      { id: 'tick', input: { pid: 1, nodes: [1, 2, 3], tickMs: -1 }, message: 'tickMs must be a positive number' },
    ];
    const machine = setup({ actors: { replica: replicaLogic<string>(w.deps) } }).createMachine({
      entry: bad.map((b) => spawnChild('replica', { id: b.id, input: b.input as ReturnType<typeof input> })),
      on: { '*': { actions: ({ event }) => event.type.startsWith('xstate.error.actor.') && errors.push({ id: event.type.slice(19), error: (event as { error?: unknown }).error }) } },
    });
    const svc = createActor(machine, { clock: w.clock }).start();
    await w.advance(50);
    expect(errors.map((e) => e.id).sort()).toEqual(bad.map((b) => b.id).sort());
    for (const b of bad) {
      const e = errors.find((x) => x.id === b.id)?.error;
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toContain(b.message);
    }
    expect(w.transport.registered.size).toBe(0);
    svc.stop();
    await w.router.close();
  });

  it('restoring a standalone Paxos actor fails it with a ConfigError that points to replicaLogic', () => {
    const persisted = { status: 'active', output: undefined, error: undefined } as const;
    const a = createActor(paxosActorLogic<string>(), { snapshot: persisted, input: undefined as never });
    const errors: unknown[] = [];
    a.subscribe({ error: (e) => errors.push(e) });
    a.start();
    expect(a.getSnapshot().status).toBe('error');
    expect(errors[0]).toBeInstanceOf(ConfigError);
    expect((errors[0] as Error).message).toContain('replicaLogic(deps)');
  });

  it('a spent restart budget fails the replica: invoke onError gets the SupervisionError', async () => {
    const w = makeWorld<string>(15);
    const machine = setup({
      types: {} as { context: { error: unknown } },
      actors: { replica: replicaLogic<string>(w.deps) },
    }).createMachine({
      context: { error: undefined },
      invoke: {
        id: 'r1',
        src: 'replica',
        input: { ...input(1), supervision: { maxRestarts: 1, windowTicks: 1000, backoffTicks: 1 } },
        onError: { actions: assign({ error: ({ event }) => event.error }) },
      },
    });
    const svc = createActor(machine, { clock: w.clock }).start();
    const r1 = svc.getSnapshot().children.r1 as ReplicaRef<string>;
    const restarts: number[] = [];
    r1.on('omnipaxos.restarted', (e) => restarts.push(e.restarts));
    crashReplica(r1, 'paxos', new Error('disk 1'));
    await w.advance(10);
    expect(restarts).toEqual([1]);
    expect(r1.getSnapshot().context.restarts).toBe(1);
    crashReplica(r1, 'election', new Error('disk 2'));
    await w.advance(10);
    expect(svc.getSnapshot().context.error).toMatchObject({ name: 'SupervisionError', pid: 1, restarts: 1 });
    expect(r1.getSnapshot().status).toBe('error');
    expect(w.transport.registered.size).toBe(0);
    svc.stop();
    await w.router.close();
  });

  it('restarts within the budget deliver every decided entry once, from where the replica left off', async () => {
    const w = makeWorld<string>(16);
    const delivered = new Map<NodeId, number[]>();
    const logic = replicaLogic<string>(w.deps);
    const refs = [1, 2, 3].map((pid) => {
      const a = createActor(logic, { clock: w.clock, input: input(pid) });
      a.on('omnipaxos.delivered', (e) => delivered.set(pid, [...(delivered.get(pid) ?? []), ...e.items.map((i) => i.idx)]));
      return a.start();
    });
    await w.until(() => refs.every((r) => r.getSnapshot().context.leader !== undefined), 500, 'a leader');
    const results: Promise<{ idx: number }>[] = [];
    for (let round = 0; round < 4; round++) {
      for (const r of refs) results.push(appendTo(r, `e${round}-${r.getSnapshot().context.pid}`));
      await w.advance(5);
      for (const r of refs) crashReplica(r, round % 2 === 0 ? 'paxos' : 'election', new Error(`crash ${round}`));
      await w.advance(10);
    }
    let settled = false;
    void Promise.all(results).then(() => (settled = true));
    await w.until(() => settled && [1, 2, 3].every((p) => (delivered.get(p) ?? []).length === 12), 3000, 'twelve entries everywhere');
    for (const p of [1, 2, 3]) expect(delivered.get(p)).toEqual([...Array(12).keys()]);
    for (const r of refs) r.stop();
    await w.router.close();
  });
});
