import { MemoryStorage, type NodeId } from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import { type AnyActorRef, type InspectionEvent, assign, createActor, fromPromise, setup, spawnChild } from 'xstate';
import {
  type AppendReply,
  type ReplicaEmitted,
  type ReplicaRef,
  type ReplicatedEntry,
  appendTo,
  replicaLogic,
  replicaSupervisor,
  transportActor,
  transportFromActor,
} from '../src/index.js';
import { CountingTransport, FAST, TICK_MS, makeWorld } from './xstate-harness.js';

const input = (pid: NodeId) => ({ pid, nodes: [1, 2, 3], tickMs: TICK_MS, server: FAST });

describe('replicaLogic as an xstate actor', () => {
  it('is typed by the entry: a client actor appends with appendTo, replyTo gets appended, the parent gets delivered', async () => {
    const w = makeWorld<string>(21);
    const replies: AppendReply[] = [];
    const machine = setup({
      types: {} as {
        context: { log: string[]; results: number[] };
        events: ReplicaEmitted<string> | AppendReply | { type: 'order'; entry: string };
      },
      actors: {
        replica: replicaLogic<string>(w.deps),
        client: fromPromise<{ idx: number }, { replica: ReplicaRef<string>; entry: string }>(({ input: i }) => appendTo(i.replica, i.entry)),
      },
    }).createMachine({
      context: { log: [], results: [] },
      entry: [1, 2, 3].map((pid) => spawnChild('replica', { id: `replica-${pid}`, systemId: `replica-${pid}`, input: input(pid) })),
      on: {
        'omnipaxos.delivered': {
          guard: ({ event }) => event.pid === 1,
          actions: assign({ log: ({ context, event }) => [...context.log, ...event.items.map((i) => `${i.idx}:${i.entry}`)] }),
        },
        'omnipaxos.appended': { actions: ({ event }) => replies.push(event) },
        order: {
          actions: spawnChild('client', {
            input: ({ event, self }) => ({
              replica: self.system.get('replica-2') as ReplicaRef<string>,
              entry: (event as { type: 'order'; entry: string }).entry,
            }),
          }),
        },
      },
    });
    const svc = createActor(machine, { clock: w.clock }).start();
    const r1 = svc.system.get('replica-1') as ReplicaRef<string>;
    await w.until(() => r1.getSnapshot().context.leader !== undefined, 500, 'a leader');
    svc.send({ type: 'order', entry: 'by-client' });
    r1.send({ type: 'omnipaxos.append', entry: 'with-reply', requestId: 'req-1', replyTo: svc });
    const typeChecks = (): void => {
      // @ts-expect-error a string replica takes string entries
      r1.send({ type: 'omnipaxos.append', entry: 42 });
      // @ts-expect-error internal events are not part of the public command type
      r1.send({ type: 'omnipaxos.tick' });
    };
    await w.until(() => svc.getSnapshot().context.log.length === 2 && replies.length === 1, 500, 'two entries delivered');
    expect([...svc.getSnapshot().context.log].sort()).toEqual(['0:by-client', '1:with-reply'].sort());
    expect(replies[0]).toMatchObject({ type: 'omnipaxos.appended', requestId: 'req-1' });
    expect(typeof typeChecks).toBe('function');
    svc.stop();
    await w.router.close();
  });

  it('can be invoked, and created as a root actor next to the spawned ones', async () => {
    const w = makeWorld<number>(22);
    const logic = replicaLogic<number>(w.deps);
    const machine = setup({ actors: { replica: logic } }).createMachine({
      invoke: [
        { id: 'r1', src: 'replica', input: input(1) },
        { id: 'r2', src: 'replica', input: input(2) },
      ],
    });
    const svc = createActor(machine, { clock: w.clock }).start();
    const root = createActor(logic, { clock: w.clock, input: input(3) }).start();
    await w.until(() => root.getSnapshot().context.leader !== undefined, 500, 'a leader');
    let idx: number | undefined;
    void appendTo(root, 7).then((r) => (idx = r.idx));
    await w.until(() => idx !== undefined, 500, 'decided');
    expect(idx).toBe(0);
    expect((svc.getSnapshot().children.r1 as ReplicaRef<number>).getSnapshot().context.delivered).toBe(1);
    root.stop();
    svc.stop();
    await w.router.close();
  });

  it('rejects appendTo when its signal aborts, and at once when the replica is stopped', async () => {
    const w = makeWorld<string>(23);
    const a = createActor(replicaLogic<string>(w.deps), { clock: w.clock, input: input(1) }).start();
    const ctl = new AbortController();
    const p = appendTo(a, 'x', { signal: ctl.signal });
    ctl.abort(new Error('client gave up'));
    await expect(p).rejects.toThrow('client gave up');
    a.stop();
    await expect(appendTo(a, 'y')).rejects.toMatchObject({ name: 'ReplicaError', code: 'Shutdown' });
    await w.router.close();
  });
});

describe('inspection', () => {
  it('sends internal events with a sourceRef, shows a small plain summary, and an idle replica batches its ticks', async () => {
    const w = makeWorld<string>(24);
    const events: InspectionEvent[] = [];
    const machine = setup({ actors: { replica: replicaLogic<string>(w.deps) } }).createMachine({
      entry: [1, 2, 3].map((pid) => spawnChild('replica', { id: `replica-${pid}`, systemId: `replica-${pid}`, input: input(pid) })),
    });
    const svc = createActor(machine, { clock: w.clock, inspect: (e) => events.push(e) }).start();
    const r1 = svc.system.get('replica-1') as ReplicaRef<string>;
    await w.until(() => r1.getSnapshot().context.leader !== undefined, 500, 'a leader');
    let done = false;
    void appendTo(r1, 'a').then(() => (done = true));
    await w.until(() => done, 500, 'decided');
    await w.advance(50);

    const replicaIds = new Set(['replica-1', 'replica-2', 'replica-3']);
    const internal = events.filter(
      (e): e is Extract<InspectionEvent, { type: '@xstate.event' }> =>
        e.type === '@xstate.event' && replicaIds.has((e.actorRef as AnyActorRef).id) && ['omnipaxos.tick', 'omnipaxos.report', 'omnipaxos.childFailed'].includes(e.event.type),
    );
    expect(internal.length).toBeGreaterThan(0);
    expect(internal.filter((e) => e.sourceRef !== e.actorRef)).toEqual([]);
    const toParent = events.filter((e) => e.type === '@xstate.event' && e.actorRef === svc && e.event.type === 'omnipaxos.delivered');
    expect(toParent.length).toBe(3);
    for (const e of toParent) expect(replicaIds.has(((e as { sourceRef?: unknown }).sourceRef as AnyActorRef | undefined)?.id ?? '')).toBe(true);

    const json = JSON.stringify(r1.getSnapshot());
    expect(json.length).toBeLessThan(1024);
    expect(JSON.parse(json).context).toMatchObject({ pid: 1, mode: 'running', delivered: 1, restarts: 0, pending: 0 });
    expect(['Leader', 'Follower']).toContain(r1.getSnapshot().context.role);

    // An idle cluster for 100 ticks (1 s): a few ticks per replica, each covering an election round.
    events.length = 0;
    await w.advance(100);
    const ticks = events.filter((e) => e.type === '@xstate.event' && e.event.type === 'omnipaxos.tick');
    expect(ticks.length).toBeLessThanOrEqual(3 * 21);
    expect(events.length).toBeLessThan(200);
    svc.stop();
    await w.router.close();
  });

  it('persists the older replicaSupervisor as plain data too (its input keeps the live objects out)', async () => {
    const w = makeWorld<unknown>(25);
    const machine = setup({ actors: { replica: replicaSupervisor } }).createMachine({
      entry: spawnChild('replica', {
        id: 'r',
        input: { ...input(1), storage: new MemoryStorage<ReplicatedEntry<unknown>>(), transport: w.transport },
      }),
    });
    const svc = createActor(machine, { clock: w.clock }).start();
    await w.advance(5);
    const json = JSON.stringify(svc.getPersistedSnapshot());
    expect(json).toContain('"pid":1');
    expect(json.length).toBeLessThan(2048);
    svc.stop();
    await w.router.close();
  });
});

describe('transport as an actor', () => {
  it('runs a cluster over transportFromActor(ref of transportActor(router)), and stopping it detaches every node', async () => {
    const w = makeWorld<string>(26);
    const counted = new CountingTransport(w.router);
    const net = createActor(transportActor<ReplicatedEntry<string>>(counted), { clock: w.clock }).start();
    const logic = replicaLogic<string>({ ...w.deps, transport: transportFromActor(net) });
    const refs = [1, 2, 3].map((pid) => createActor(logic, { clock: w.clock, input: input(pid) }).start());
    expect([...counted.registered.keys()].sort()).toEqual([1, 2, 3]);
    await w.until(() => refs.every((r) => r.getSnapshot().context.leader !== undefined), 500, 'a leader');
    let idx: number | undefined;
    void appendTo(refs[1] as ReplicaRef<string>, 'over an actor').then((r) => (idx = r.idx));
    await w.until(() => idx !== undefined && refs.every((r) => r.getSnapshot().context.delivered === 1), 500, 'decided everywhere');
    (refs[0] as ReplicaRef<string> & { stop(): void }).stop();
    expect([...counted.registered.keys()].sort()).toEqual([2, 3]);
    net.stop();
    expect(counted.registered.size).toBe(0);
    for (const r of refs.slice(1)) (r as { stop(): void }).stop();
    await w.router.close();
  });
});
