import { cpus, loadavg } from 'node:os';
import { type Logger, type Message, type NodeId, Prng } from '@omnipaxos/core';
import type { TransportEndpoint } from '@omnipaxos/actors';
import { TcpTransport, type TcpTransportOptions } from '../src/index.js';

/** Signal lets a test wait, with a bound, until a condition holds; every event calls notify(). */
export class Signal {
  private readonly waiters = new Set<() => void>();

  notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /**
   * until resolves once `cond()` holds (checked now and on every notify), or rejects after timeoutMs
   * grown by the machine's measured load (load average per core, at least 1): a bound for a stuck run.
   */
  until(cond: () => boolean, what: string, budgetMs = 10_000): Promise<void> {
    if (cond()) return Promise.resolve();
    const timeoutMs = Math.round(budgetMs * Math.min(50, Math.max(1, (loadavg()[0] ?? 0) / Math.max(1, cpus().length))));
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!cond()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }
}

/** Entry is the log entry type used by the tests. */
export type Entry = { key: string; value: number };

/** Inbox records what a transport delivers to its node. */
export class Inbox implements TransportEndpoint<Entry> {
  readonly messages: Message<Entry>[] = [];
  readonly reconnects: NodeId[] = [];
  constructor(private readonly signal: Signal) {}
  deliver(message: Message<Entry>): void {
    this.messages.push(message);
    this.signal.notify();
  }
  reconnected(peer: NodeId): void {
    this.reconnects.push(peer);
    this.signal.notify();
  }
  /** rounds lists the heartbeat rounds received from `from`. */
  rounds(from: NodeId): number[] {
    return this.messages.flatMap((m) => (m.kind === 'BLE' && m.from === from ? [m.msg.round] : []));
  }
}

/** mulberry32 returns a seeded random source (core's Prng, a mulberry32): tests never use Math.random. */
export function mulberry32(seed: number): () => number {
  const generator = new Prng(seed);
  return () => generator.next();
}

/** CapturingLogger keeps warnings and errors so tests can wait for a logged reason. */
export interface CapturingLogger extends Logger {
  warnings: string[];
  errors: string[];
}

/** capturingLogger builds a CapturingLogger that notifies `signal` on each warning. */
export function capturingLogger(signal: Signal): CapturingLogger {
  const log: CapturingLogger = {
    warnings: [],
    errors: [],
    debug: () => undefined,
    info: () => undefined,
    warn: (m) => {
      log.warnings.push(m);
      signal.notify();
    },
    error: (m) => {
      log.errors.push(m);
      signal.notify();
    },
  };
  return log;
}

/** heartbeat builds a BLE HeartbeatRequest. */
export function heartbeat(from: NodeId, to: NodeId, round: number): Message<Entry> {
  return { kind: 'BLE', from, to, msg: { type: 'HeartbeatRequest', round } };
}

/** acceptDecide builds an AcceptDecide carrying `entries`. */
export function acceptDecide(from: NodeId, to: NodeId, entries: Entry[], counter = 1): Message<Entry> {
  const n = { configId: 1, n: 3, priority: 0, pid: from };
  return { kind: 'SequencePaxos', from, to, msg: { type: 'AcceptDecide', n, seqNum: { session: 1, counter }, decidedIdx: 0, entries } };
}

/** TestNode is one started transport with its inbox. */
export interface TestNode {
  transport: TcpTransport<Entry>;
  inbox: Inbox;
  logger: CapturingLogger;
}

/** ClusterOptions are extra transport options applied to every node of a test cluster. */
export type ClusterOptions = Partial<Omit<TcpTransportOptions<Entry>, 'pid' | 'peers' | 'listen'>>;

/**
 * startCluster starts one transport per pid on ephemeral loopback ports, then tells each the others'
 * bound addresses. Returns the nodes by pid and a close function.
 */
export async function startCluster(
  pids: NodeId[],
  signal: Signal,
  options: ClusterOptions = {},
): Promise<{ nodes: Map<NodeId, TestNode>; close: () => Promise<void> }> {
  const nodes = new Map<NodeId, TestNode>();
  for (const pid of pids) {
    const logger = capturingLogger(signal);
    const transport = new TcpTransport<Entry>({
      clusterId: 'test-cluster',
      backoff: { initialDelayMs: 10, maxDelayMs: 200 },
      random: mulberry32(pid),
      logger,
      ...options,
      pid,
      listen: { host: '127.0.0.1', port: 0 },
      peers: {},
    });
    transport.onLinkState(() => signal.notify());
    const inbox = new Inbox(signal);
    transport.register(pid, inbox);
    await transport.start();
    nodes.set(pid, { transport, inbox, logger });
  }
  for (const a of nodes.values()) {
    for (const b of nodes.values()) {
      const address = b.transport.address();
      if (a !== b && address !== null) a.transport.setPeerAddress(b.transport.pid, address);
    }
  }
  return {
    nodes,
    close: async () => {
      await Promise.all([...nodes.values()].map((n) => n.transport.close()));
    },
  };
}

/** node returns the TestNode of `pid` or throws. */
export function node(nodes: Map<NodeId, TestNode>, pid: NodeId): TestNode {
  const n = nodes.get(pid);
  if (n === undefined) throw new Error(`no node ${pid}`);
  return n;
}

/** allConnected is true when every node's links are all connected. */
export function allConnected(nodes: Map<NodeId, TestNode>): boolean {
  return [...nodes.values()].every((n) => n.transport.stats().peers.every((p) => p.state === 'connected'));
}
