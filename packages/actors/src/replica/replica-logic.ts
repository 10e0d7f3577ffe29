import { ConfigError } from '@omnipaxos/core';
import type { ActorLogic, ActorRef, ActorScope, ActorSystem, EventObject, Snapshot } from 'xstate';
import { type HostCallbacks, ReplicaHost, type ReplicaSummary } from '../supervisor/replica-host.js';
import type { SupervisorInput } from '../supervisor/supervisor-input.js';
import type { AppendReply, ReplicaCommand, ReplicaEmitted, ReplicaInternalEvent, ReplyTarget } from './replica-events.js';
import { type ReplicaDeps, type ReplicaInput, supervisorInputOf, validateReplicaSettings } from './replica-input.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- xstate's own AnyActorSystem is ActorSystem<any>
type System = ActorSystem<any>;

/** ReplicaOutput is a replica's output once it is done: stopped by command, or retired by a reconfiguration. */
export interface ReplicaOutput {
  reason: 'stopped' | 'retired';
}

/**
 * ReplicaSnapshot is a replica actor's snapshot: plain data only. `context` is the inspection summary
 * (role, phase, ballot, leader, delivered index, restarts), `input` the replica's settings; the live
 * state (core, storage, links) stays in the logic's closure, so the snapshot serialises with JSON.
 */
export type ReplicaSnapshot = Snapshot<ReplicaOutput> & { context: ReplicaSummary; input: ReplicaInput };

/** ReplicaLogic is the xstate logic of a replica over application entries `T` (see `replicaLogic`). */
export type ReplicaLogic<T, I = ReplicaInput> = ActorLogic<ReplicaSnapshot, ReplicaCommand<T>, I, System, ReplicaEmitted<T>>;

/** ReplicaRef is a reference to a running replica actor: `spawnChild`'s, `system.get(...)`'s or `createActor`'s. */
export type ReplicaRef<T> = ActorRef<ReplicaSnapshot, ReplicaCommand<T>, ReplicaEmitted<T>>;

type AnyReplicaEvent<T> = ReplicaCommand<T> | ReplicaInternalEvent<T> | EventObject;
type Scope<T> = ActorScope<ReplicaSnapshot, ReplicaCommand<T>, System, ReplicaEmitted<T>>;
type Relay = (source: unknown, target: unknown, event: EventObject) => void;

const TICK_ID = 'omnipaxos.tick';

/** Opened is a replica's input split for `buildReplicaLogic`: the supervisor's input and its plain-data part. */
export interface Opened<T> {
  supervisorInput: SupervisorInput<T>;
  data: ReplicaInput;
}

/** isActive is true unless `ref` is an actor that stopped (sending to it would be lost and warned about). */
function isActive(ref: unknown): boolean {
  const r = ref as { getSnapshot?: () => { status?: string } };
  return typeof r.getSnapshot !== 'function' || r.getSnapshot().status === 'active';
}

/**
 * buildReplicaLogic is the custom xstate logic behind `replicaLogic` and the older `replicaSupervisor`:
 * `open` turns the actor's input into the supervisor's input (settings + live dependencies) and its
 * plain-data part; `reopen` does the same for a persisted snapshot's data (undefined: not restorable).
 */
export function buildReplicaLogic<T, I>(
  open: (input: I) => Opened<T>,
  reopen: ((data: ReplicaInput) => Opened<T>) | undefined,
): ReplicaLogic<T, I> {
  const hosts = new WeakMap<object, ReplicaHost<T>>();
  /**
   * How far each replica of this logic delivered (by actor id and pid): a replica spawned again in
   * this process with the same id continues from there, as a restored one does from its snapshot.
   */
  const deliveredTo = new Map<string, number>();
  const keyOf = (scope: Scope<T>, data: ReplicaInput): string => `${scope.id}/${data.pid}`;

  const relayOf = (scope: Scope<T>): Relay | undefined => (scope.system as unknown as { _relay?: Relay })._relay;

  const callbacks = (scope: Scope<T>): HostCallbacks<T> => {
    const self = scope.self;
    const relay = relayOf(scope);
    const sendFromSelf = (target: { send(e: never): void }, event: EventObject): void => {
      if (!isActive(target)) return;
      if (relay && '_send' in target) relay(self, target, event);
      else target.send(event as never);
    };
    return {
      emit: (event) => {
        scope.emit(event);
        // The parent learns of a spent budget as xstate.error.actor.<id>, not as an event too.
        const parent = self._parent;
        if (parent && event.type !== 'omnipaxos.escalated') sendFromSelf(parent, event);
      },
      wake: (event) => {
        if (isActive(self)) sendFromSelf(self, event);
      },
      reply: (target: ReplyTarget, event: AppendReply) => sendFromSelf(target, event),
    };
  };

  const snapshotOf = (host: ReplicaHost<T>, data: ReplicaInput): ReplicaSnapshot => {
    const o = host.outcome;
    const context = host.summary();
    switch (o.status) {
      case 'active':
        return { status: 'active', output: undefined, error: undefined, context, input: data };
      case 'done':
        return { status: 'done', output: { reason: o.reason }, error: undefined, context, input: data };
      case 'stopped':
        return { status: 'stopped', output: undefined, error: undefined, context, input: data };
      case 'error':
        return { status: 'error', output: undefined, error: o.error, context, input: data };
    }
  };

  const create = (scope: Scope<T>, opened: Opened<T>, skipBelow: number): ReplicaSnapshot => {
    const host = new ReplicaHost<T>(opened.supervisorInput, callbacks(scope), skipBelow);
    hosts.set(scope.self, host);
    return snapshotOf(host, opened.data);
  };

  const remember = (scope: Scope<T>, snapshot: ReplicaSnapshot): ReplicaSnapshot => {
    deliveredTo.set(keyOf(scope, snapshot.input), snapshot.context.delivered);
    return snapshot;
  };

  /** The next tick of each actor: when its window started (clock ms) and how many ticks it stands for. */
  const planned = new WeakMap<object, { at: number; ticks: number }>();

  const clockNow = (scope: Scope<T>): number => {
    const clock = scope.system._clock as { now?: () => number };
    return typeof clock.now === 'function' ? clock.now() : Date.now();
  };

  const scheduleTick = (scope: Scope<T>, host: ReplicaHost<T>, data: ReplicaInput, at = clockNow(scope), delay?: number): void => {
    if (host.outcome.status !== 'active') return;
    const tickMs = data.tickMs ?? 10;
    const ticks = host.ticksToNext();
    planned.set(scope.self, { at, ticks });
    const event = ticks === 1 ? { type: 'omnipaxos.tick' } : { type: 'omnipaxos.tick', ticks };
    scope.system.scheduler.schedule(scope.self, scope.self, event, delay ?? ticks * tickMs, TICK_ID);
  };

  /**
   * catchUp runs before an event that arrives inside a window of several ticks (an idle replica): the
   * ticks already elapsed are delivered first, so the supervisor's clock is exact when it stamps the
   * event's work; the rest of the window is scheduled again after the event.
   */
  const catchUp = (scope: Scope<T>, host: ReplicaHost<T>, data: ReplicaInput): (() => void) | undefined => {
    const p = planned.get(scope.self);
    if (!p || p.ticks === 1) return undefined;
    const tickMs = data.tickMs ?? 10;
    const elapsed = Math.min(p.ticks - 1, Math.floor((clockNow(scope) - p.at) / tickMs));
    if (elapsed > 0) host.tick(elapsed);
    const at = p.at + elapsed * tickMs;
    return () => {
      scope.system.scheduler.cancel(scope.self, TICK_ID);
      scheduleTick(scope, host, data, at, Math.max(0, at + host.ticksToNext() * tickMs - clockNow(scope)));
    };
  };

  return {
    getInitialSnapshot: (scope, input) => {
      const opened = open(input);
      return create(scope, opened, opened.data.fromIdx ?? deliveredTo.get(keyOf(scope, opened.data)) ?? 0);
    },
    restoreSnapshot: (persisted, scope) => {
      const p = persisted as Partial<ReplicaSnapshot>;
      if (p.status !== 'active') return persisted as ReplicaSnapshot;
      if (!reopen) throw new ConfigError('this replica logic holds live dependencies in its input and cannot be restored: use replicaLogic(deps)');
      if (!p.input || !p.context) throw new ConfigError('not a persisted replica snapshot (no input or context)');
      return create(scope, reopen(p.input), p.context.delivered);
    },
    start: (snapshot, scope) => {
      const host = hosts.get(scope.self);
      if (!host) return;
      host.start();
      scheduleTick(scope, host, snapshot.input);
    },
    transition: (snapshot, ev, scope) => {
      const host = hosts.get(scope.self);
      if (!host || snapshot.status !== 'active') return snapshot;
      const event = ev as AnyReplicaEvent<T>;
      const resume = event.type === 'omnipaxos.tick' || event.type === 'xstate.stop' ? undefined : catchUp(scope, host, snapshot.input);
      switch (event.type) {
        case 'omnipaxos.tick': {
          const ticks = (event as { ticks?: number }).ticks ?? 1;
          host.tick(ticks);
          scheduleTick(scope, host, snapshot.input);
          break;
        }
        case 'omnipaxos.append': {
          const e = event as ReplicaCommand<T> & { type: 'omnipaxos.append' };
          if ('requests' in e) host.append(e.requests, e.replyTo);
          else host.append([{ rid: e.requestId ?? host.nextRequestId(), entry: e.entry }], e.replyTo);
          break;
        }
        case 'omnipaxos.report':
          host.report((event as ReplicaInternalEvent<T> & { type: 'omnipaxos.report' }).report);
          break;
        case 'omnipaxos.migrationMessage':
          host.migration((event as ReplicaInternalEvent<T> & { type: 'omnipaxos.migrationMessage' }).message);
          break;
        case 'omnipaxos.childFailed':
          host.wakeUp();
          break;
        case 'omnipaxos.reconfigure': {
          const e = event as ReplicaCommand<T> & { type: 'omnipaxos.reconfigure' };
          host.reconfigure(e.nextConfig, e.metadata);
          break;
        }
        case 'omnipaxos.compact':
          host.compact((event as ReplicaCommand<T> & { type: 'omnipaxos.compact' }).upToConfigurationId);
          break;
        case 'omnipaxos.crash': {
          const e = event as ReplicaInternalEvent<T> & { type: 'omnipaxos.crash' };
          host.crash(e.child, e.error);
          break;
        }
        case 'omnipaxos.stop':
          host.stop('done');
          break;
        case 'xstate.stop':
          host.stop('stopped');
          break;
        default:
          break;
      }
      if (host.outcome.status !== 'active') scope.system.scheduler.cancel(scope.self, TICK_ID);
      else resume?.();
      const next = snapshotOf(host, snapshot.input);
      return next.context.delivered === snapshot.context.delivered ? next : remember(scope, next);
    },
    getPersistedSnapshot: (snapshot) => {
      const { status, context, input } = snapshot;
      // Plain data only: an error is kept as its name and message.
      const error = snapshot.status === 'error' ? describeError(snapshot.error) : undefined;
      return { status, output: snapshot.output, error, context: { ...context }, input: structuredClone(input) } as unknown as Snapshot<unknown>;
    },
  };
}

function describeError(error: unknown): { name: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}

function openData<T>(deps: ReplicaDeps<T>): (input: ReplicaInput) => Opened<T> {
  return (input) => {
    validateReplicaSettings(input, true);
    let data: ReplicaInput;
    try {
      data = structuredClone(input);
    } catch (err) {
      throw new ConfigError(`replica input must be plain data (it is persisted with the actor): ${(err as Error).message}`);
    }
    return { supervisorInput: supervisorInputOf(data, deps), data };
  };
}

/**
 * replicaLogic is one node's OmniPaxos replica as xstate logic over application entries `T`: spawn
 * it with `spawnChild` / `spawn` / `invoke`, or `createActor` it. The live dependencies are the
 * factory's (its closure); the input is plain data (persisted with the actor). Send it ReplicaCommands;
 * it emits (and sends its parent) ReplicaEmitted events; `appendTo` wraps an append in a promise.
 * Invalid input fails the actor at spawn with a ConfigError; a spent restart budget fails it with a
 * SupervisionError (`xstate.error.actor.<id>` for the parent); stopping it by any route unregisters it
 * from the transport and fails its pending appends with ReplicaError('Shutdown').
 */
export function replicaLogic<T>(deps: ReplicaDeps<T>): ReplicaLogic<T> {
  const open = openData(deps);
  return buildReplicaLogic<T, ReplicaInput>(open, open);
}
