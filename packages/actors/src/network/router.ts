import type { NodeId } from '@omnipaxos/core';
import { LinkBandwidth } from './link-bandwidth.js';
import type { WireMessage } from '../reconfiguration/migration-messages.js';
import { Prng } from '@omnipaxos/core';
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
  /**
   * How a delivered message is copied (default `'structuredClone'`: nodes never share an object, as
   * across processes). `'none'` hands the receiver the sender's object: faster (no deep copy of the
   * entries of every AcceptDecide), but only safe when nobody mutates a message or a log entry after
   * sending it — the core does not, so this holds when the application's entries are immutable.
   * Keep the default in tests, where a shared mutable object would hide bugs.
   */
  copy?: 'structuredClone' | 'none';
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

/** Message is what the router carries: every actors WireMessage (core messages and migration). */
type Message<T> = WireMessage<T>;

/**
 * Router is the in-process Transport: it delivers replica messages between nodes by node id, as a
 * structuredClone by default (nodes never share objects; see RouterOptions.copy), and can cut, drop or
 * delay any directed link.
 * Messages without delay are delivered in a microtask, delayed ones on the router's ticks.
 */
export class Router<T> implements Transport<T> {
  private readonly endpoints = new Map<NodeId, TransportEndpoint<T>>();
  private readonly faults = new Map<string, LinkFault>();
  private readonly prng: Prng;
  private readonly clock: TickClock | undefined;
  private readonly bandwidth = new LinkBandwidth<Message<T>>();
  private readonly tickMs: number;
  private readonly clone: boolean;
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
    this.clone = options.copy !== 'none';
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
    const copy = this.clone ? structuredClone(message) : message;
    if (this.bandwidth.limited(message.from, message.to)) {
      this.bandwidth.enqueue(copy);
      return;
    }
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

  /**
   * setBandwidth limits the directed link `from -> to` to `bytesPerTick` (estimated encoded bytes, see
   * estimateSize): its messages queue behind each other and are delivered on router ticks, as on a
   * real link of that speed. `undefined` lifts the limit.
   */
  setBandwidth(from: NodeId, to: NodeId, bytesPerTick: number | undefined): void {
    this.bandwidth.set(from, to, bytesPerTick);
  }

  /** bytesSent is how many bytes `pid` sent over bandwidth-limited links. */
  bytesSent(pid: NodeId): number {
    return this.bandwidth.bytesSent(pid);
  }

  /** link returns the fault state of the directed link `from -> to`. */
  link(from: NodeId, to: NodeId): LinkFault {
    return { ...(this.faults.get(linkKey(from, to)) ?? { cut: false, dropProbability: 0, delayTicks: 0 }) };
  }

  /** tick advances the router's clock one tick and delivers the delayed messages now due. */
  tick(): void {
    this.now += 1;
    for (const m of this.bandwidth.release()) {
      const delay = this.faults.get(linkKey(m.from, m.to))?.delayTicks ?? 0;
      if (delay > 0) this.delayed.push({ at: this.now + delay, message: m });
      else this.deliver(m);
    }
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
    this.bandwidth.clear();
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
