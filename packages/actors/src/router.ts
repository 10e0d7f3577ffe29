import type { Message, NodeId } from '@omnipaxos/core';
import { Prng } from './prng.js';
import type { Transport, TransportEndpoint } from './transport.js';

/** TickClock is the part of a clock the router needs: xstate's SimulatedClock or the real timers. */
export interface TickClock {
  setTimeout(fn: () => void, timeout: number): unknown;
  clearTimeout(id: unknown): void;
}

/** RouterOptions configure the in-process router. */
export interface RouterOptions {
  /** Seed of the PRNG that decides message drops; the same seed replays the same drops. */
  seed?: number;
  /** With a clock, the router ticks itself every `tickMs` (delays are counted in these ticks). */
  clock?: TickClock;
  tickMs?: number;
}

/** LinkFault is the state of one directed link: cut, drop probability, delay in router ticks. */
export interface LinkFault {
  cut: boolean;
  dropProbability: number;
  delayTicks: number;
}

interface Delayed<T> {
  at: number;
  message: Message<T>;
}

const linkKey = (from: NodeId, to: NodeId): string => `${from}->${to}`;

/**
 * Router is the in-process Transport: it delivers replica messages between nodes by node id, always
 * as a structuredClone (nodes never share objects), and can cut, drop or delay any directed link.
 * Messages without delay are delivered in a microtask, delayed ones on the router's ticks.
 */
export class Router<T> implements Transport<T> {
  private readonly endpoints = new Map<NodeId, TransportEndpoint<T>>();
  private readonly faults = new Map<string, LinkFault>();
  private readonly prng: Prng;
  private readonly clock: TickClock | undefined;
  private readonly tickMs: number;
  private timer: unknown;
  private now = 0;
  private immediate: Message<T>[] = [];
  private delayed: Delayed<T>[] = [];
  private flushScheduled = false;
  private closed = false;
  /** Counters of what happened to messages, for demos and tests. */
  readonly stats = { sent: 0, delivered: 0, dropped: 0 };

  constructor(options: RouterOptions = {}) {
    this.prng = new Prng(options.seed ?? 1);
    this.clock = options.clock;
    this.tickMs = options.tickMs ?? 10;
    if (this.clock) this.scheduleTick();
  }

  /** register attaches a node; the returned function detaches it. */
  register(pid: NodeId, endpoint: TransportEndpoint<T>): () => void {
    this.endpoints.set(pid, endpoint);
    return () => {
      if (this.endpoints.get(pid) === endpoint) this.endpoints.delete(pid);
    };
  }

  /** send queues a copy of `message` for `message.to`, unless the link cuts or drops it. */
  send(message: Message<T>): void {
    if (this.closed) return;
    this.stats.sent += 1;
    const f = this.faults.get(linkKey(message.from, message.to));
    if (f && (f.cut || (f.dropProbability > 0 && this.prng.next() < f.dropProbability))) {
      this.stats.dropped += 1;
      return;
    }
    const copy = structuredClone(message);
    if (f && f.delayTicks > 0) {
      this.delayed.push({ at: this.now + f.delayTicks, message: copy });
      return;
    }
    this.immediate.push(copy);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushImmediate);
    }
  }

  /** cut takes the links between `a` and `b` down (both directions). */
  cut(a: NodeId, b: NodeId): void {
    this.updateLink(a, b, { cut: true });
    this.updateLink(b, a, { cut: true });
  }

  /** heal brings the links between `a` and `b` back and tells both ends they reconnected. */
  heal(a: NodeId, b: NodeId): void {
    const wasCut = this.link(a, b).cut || this.link(b, a).cut;
    this.updateLink(a, b, { cut: false });
    this.updateLink(b, a, { cut: false });
    if (wasCut) {
      this.endpoints.get(a)?.reconnected?.(b);
      this.endpoints.get(b)?.reconnected?.(a);
    }
  }

  /** isolate cuts every link of `pid` to the `others`. */
  isolate(pid: NodeId, others: readonly NodeId[]): void {
    for (const o of others) if (o !== pid) this.cut(pid, o);
  }

  /** healAll heals every cut link. */
  healAll(): void {
    for (const key of [...this.faults.keys()]) {
      const [from, to] = key.split('->').map(Number) as [number, number];
      if (this.link(from, to).cut) this.heal(from, to);
    }
  }

  /** setDropProbability makes the directed link `from -> to` drop each message with probability `p`. */
  setDropProbability(from: NodeId, to: NodeId, p: number): void {
    this.updateLink(from, to, { dropProbability: Math.min(1, Math.max(0, p)) });
  }

  /** setDelay delays every message on the directed link `from -> to` by `ticks` router ticks. */
  setDelay(from: NodeId, to: NodeId, ticks: number): void {
    this.updateLink(from, to, { delayTicks: Math.max(0, Math.floor(ticks)) });
  }

  /** link returns the fault state of the directed link `from -> to`. */
  link(from: NodeId, to: NodeId): LinkFault {
    return { ...(this.faults.get(linkKey(from, to)) ?? { cut: false, dropProbability: 0, delayTicks: 0 }) };
  }

  /** tick advances the router's clock one tick and delivers the delayed messages now due. */
  tick(): void {
    this.now += 1;
    if (this.delayed.length === 0) return;
    const due = this.delayed.filter((d) => d.at <= this.now);
    this.delayed = this.delayed.filter((d) => d.at > this.now);
    for (const d of due) this.deliver(d.message);
  }

  /** close stops the router's own ticks and drops everything still queued. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.clock && this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.immediate = [];
    this.delayed = [];
  }

  private updateLink(from: NodeId, to: NodeId, patch: Partial<LinkFault>): void {
    this.faults.set(linkKey(from, to), { ...this.link(from, to), ...patch });
  }

  private readonly flushImmediate = (): void => {
    this.flushScheduled = false;
    const batch = this.immediate;
    this.immediate = [];
    for (const m of batch) this.deliver(m);
  };

  private deliver(message: Message<T>): void {
    if (this.closed) return;
    // A link cut while the message was in flight loses it, as a real network would.
    if (this.faults.get(linkKey(message.from, message.to))?.cut) {
      this.stats.dropped += 1;
      return;
    }
    const endpoint = this.endpoints.get(message.to);
    if (!endpoint) {
      this.stats.dropped += 1;
      return;
    }
    this.stats.delivered += 1;
    endpoint.deliver(message);
  }

  private scheduleTick(): void {
    if (!this.clock || this.closed) return;
    this.timer = this.clock.setTimeout(() => {
      this.tick();
      this.scheduleTick();
    }, this.tickMs);
  }
}
