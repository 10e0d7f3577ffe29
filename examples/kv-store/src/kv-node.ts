import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Ballot, NodeId } from '@omnipaxos/core';
import {
  type Replica,
  type ReplicatedEntry,
  createReplica,
  isReplicatedEntry,
  payloadsOf,
  validateMigrationMessage,
} from '@omnipaxos/actors';
import { type SqliteStorage, openSqliteStorage } from '@omnipaxos/storage-sqlite';
import { type PeerAddress, TcpTransport, type TcpTlsOptions, type TransportStats } from '@omnipaxos/transport-tcp';
import { parseAddress } from './args.js';
import { withGroupCommit } from './group-commit.js';
import { type KvCommand, type KvResult, isKvCommand } from './kv-command.js';
import { KvState } from './kv-state.js';

/** KvNodeOptions describe one replica of the store. */
export interface KvNodeOptions {
  pid: NodeId;
  nodes: NodeId[];
  /** Replica pid → replication (TCP) address; may include this node. */
  peers: Record<number, PeerAddress>;
  /** Where this node listens for replication traffic. */
  listen: PeerAddress;
  /** Folder of the node's SQLite database. */
  dataDir: string;
  clusterId?: string;
  tls?: TcpTlsOptions;
  /** Milliseconds per logical tick (default 10). */
  tickMs?: number;
  /** The configuration `nodes` belong to (default 1). */
  configurationId?: number;
  /** This node joins `configurationId` by reconfiguration: it pulls the earlier log before it serves. */
  joining?: boolean;
  /** How many of the latest decided entries `log()` can return (default 100 000). */
  retainLog?: number;
}

/** KvStatus is what the status endpoint shows. */
export interface KvStatus {
  pid: NodeId;
  leader: NodeId | null;
  /** The ballot this node promised (the leader's ballot once it follows one), from its storage. */
  ballot: Ballot | null;
  /** The configuration this node runs (its id and nodes). */
  configuration: { configurationId: number; nodes: NodeId[] };
  /** `running`, `joining` (pulling the earlier log), `retired` (removed by a reconfiguration) or `stopped`. */
  mode: 'running' | 'joining' | 'retired' | 'stopped';
  /** Entries applied to the state machine (= the decided index of the application's log). */
  decidedIdx: number;
  keys: number;
  /** Per peer: link state (`connected`, `connecting`, `down`, `cut`, …); details in `transport`. */
  links: Record<number, string>;
  transport: TransportStats;
}

/** LogItem is one decided entry as `GET /log` shows it: its index, the proposing replica and the command. */
export interface LogItem {
  idx: number;
  origin: NodeId;
  entry: KvCommand;
}

/** PEER_KEY prefixes the keys that record a replica's replication address (`@peer/4` = `host:port`). */
export const PEER_KEY = '@peer/';

type Store = SqliteStorage<ReplicatedEntry<KvCommand>>;

/**
 * KvNode is one replica of the key-value store: SQLite storage, the TCP transport, the actors'
 * replica, and the state machine fed from the decided log. Every operation, reads included, is
 * appended to the log and answered with its result at the point it was applied: linearizable.
 */
export class KvNode {
  private readonly state = new KvState();
  /** Results of this node's own commands, by log index, until their client takes them. */
  private readonly results = new Map<number, KvResult>();
  private config: { configurationId: number; nodes: NodeId[] };
  private mode: KvStatus['mode'];

  private constructor(
    readonly pid: NodeId,
    private readonly replica: Replica<KvCommand>,
    private readonly transport: TcpTransport<ReplicatedEntry<KvCommand>>,
    private readonly storages: Map<number, Store>,
    o: KvNodeOptions,
  ) {
    this.config = { configurationId: o.configurationId ?? 1, nodes: [...o.nodes] };
    this.mode = o.joining === true ? 'joining' : 'running';
    replica.onDecided(0, (item) => {
      const result = this.state.apply(item.entry);
      if (item.entry.op === 'put' && item.entry.key.startsWith(PEER_KEY)) this.learnPeer(item.entry.key, item.entry.value);
      if (item.origin === pid) this.results.set(item.idx, result);
      if (this.results.size > 100_000) {
        for (const idx of this.results.keys()) if (idx < item.idx - 50_000) this.results.delete(idx);
      }
    });
    replica.actor.on('omnipaxos.reconfigured', (e) => {
      this.config = { configurationId: e.config.configurationId, nodes: [...e.config.nodes] };
      this.mode = e.config.nodes.includes(pid) ? 'running' : 'retired';
      transport.setConfigurationId(e.config.configurationId);
    });
    replica.actor.subscribe({ complete: () => (this.mode = this.mode === 'stopped' ? 'stopped' : 'retired'), error: () => undefined });
  }

  /** start opens the storage, starts the transport and the replica. */
  static async start(o: KvNodeOptions): Promise<KvNode> {
    const clusterId = o.clusterId ?? 'kv-store';
    mkdirSync(o.dataDir, { recursive: true });
    const first = o.configurationId ?? 1;
    const storages = new Map<number, Store>();
    const storageFor = (configurationId: number): Store => {
      let s = storages.get(configurationId);
      if (s === undefined) {
        const file = configurationId === 1 ? `replica-${o.pid}.sqlite` : `replica-${o.pid}-config-${configurationId}.sqlite`;
        s = withGroupCommit(openSqliteStorage<ReplicatedEntry<KvCommand>>({ path: join(o.dataDir, file), clusterId, pid: o.pid }));
        storages.set(configurationId, s);
      }
      return s;
    };
    const storage = storageFor(first);
    const transport = new TcpTransport<ReplicatedEntry<KvCommand>>({
      pid: o.pid,
      clusterId,
      configurationId: first,
      listen: o.listen,
      peers: o.peers,
      validate: (m) => m.kind !== 'SequencePaxos' || entriesOf(m.msg).every((e) => isReplicatedEntry(e) && payloadsOf(e).every(isKvCommand)),
      // Reconfiguration handover messages (ReconfigInit, segments) cross processes too.
      extraKinds: { Migration: validateMigrationMessage },
      ...(o.tls ? { tls: o.tls } : {}),
    });
    try {
      await transport.start();
    } catch (err) {
      for (const s of storages.values()) s.close();
      throw err;
    }
    const replica = createReplica<KvCommand>({
      pid: o.pid,
      nodes: o.nodes,
      configurationId: first,
      storage,
      storageFor,
      transport,
      tickMs: o.tickMs ?? 10,
      retainDecided: o.retainLog ?? 100_000,
      ...(o.joining === true ? { joining: true } : {}),
    });
    return new KvNode(o.pid, replica, transport, storages, o);
  }

  /** execute appends `command` to the log and resolves with its index and result once decided and applied. */
  async execute(command: KvCommand): Promise<{ idx: number; result: KvResult }> {
    if (!isKvCommand(command)) throw new TypeError('not a key-value command');
    const { idx } = await this.replica.append(command);
    const result = this.results.get(idx);
    this.results.delete(idx);
    if (result === undefined) throw new Error(`entry ${idx} was decided but not applied`);
    return { idx, result };
  }

  /** status reports the leader, ballot, configuration, applied index and the transport's links. */
  status(): KvStatus {
    const transport = this.transport.stats();
    const links: Record<number, string> = {};
    for (const p of transport.peers) links[p.pid] = p.state;
    let ballot: Ballot | null = null;
    try {
      ballot = this.storages.get(this.config.configurationId)?.getPromise() ?? null;
    } catch {
      // storage closed (stopping)
    }
    return {
      pid: this.pid,
      leader: this.replica.getLeader() ?? null,
      ballot,
      configuration: { configurationId: this.config.configurationId, nodes: [...this.config.nodes] },
      mode: this.mode,
      decidedIdx: this.state.applied,
      keys: this.state.size,
      links,
      transport,
    };
  }

  /** log returns up to `limit` decided entries from index `from` (only the latest `retainLog` are kept). */
  log(from = 0, limit = 10_000): LogItem[] {
    const decided = this.replica.getDecided();
    const start = Math.max(0, from - (decided[0]?.idx ?? 0));
    return decided.slice(start, start + limit).map((d) => ({ idx: d.idx, origin: d.origin, entry: d.entry }));
  }

  private learnPeer(key: string, value: string): void {
    const peer = Number(key.slice(PEER_KEY.length));
    if (!Number.isSafeInteger(peer) || peer <= 0 || peer === this.pid) return;
    try {
      this.transport.setPeerAddress(peer, parseAddress(value));
    } catch {
      // not an address: an ordinary key after all
    }
  }

  /**
   * reconfigure proposes the next configuration `{ configurationId: current + 1, nodes }` (a stop sign).
   * First the new nodes' addresses (`peers`) go through the log as `@peer/<pid>` keys, so every
   * replica's transport learns them, in log order, before the stop sign. New nodes must be started with
   * `joining: true` and that configuration id. Resolves with the proposed configuration.
   */
  async reconfigure(nodes: NodeId[], peers: Record<number, PeerAddress> = {}): Promise<{ configurationId: number; nodes: NodeId[] }> {
    if (nodes.length === 0 || nodes.some((p) => !Number.isSafeInteger(p) || p <= 0)) throw new TypeError('nodes must be positive integers');
    for (const [pid, a] of Object.entries(peers)) await this.execute({ op: 'put', key: `${PEER_KEY}${pid}`, value: `${a.host}:${a.port}` });
    const next = { configurationId: this.config.configurationId + 1, nodes: [...nodes] };
    this.replica.reconfigure(next);
    return next;
  }

  /** setLinkEnabled cuts (false) or heals (true) this node's link to `peer`: a test hook. */
  setLinkEnabled(peer: NodeId, enabled: boolean): void {
    this.transport.setLinkEnabled(peer, enabled);
  }

  /** stop shuts the replica, the transport and the storage down. */
  async stop(): Promise<void> {
    this.mode = 'stopped';
    await this.replica.stop();
    await this.transport.close();
    for (const s of this.storages.values()) s.close();
  }
}

function entriesOf(msg: { type: string }): unknown[] {
  const m = msg as { entries?: unknown; logSync?: { suffix?: unknown } };
  const out: unknown[] = [];
  if (Array.isArray(m.entries)) out.push(...m.entries);
  if (Array.isArray(m.logSync?.suffix)) out.push(...m.logSync.suffix);
  return out;
}
