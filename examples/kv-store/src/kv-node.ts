import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Ballot, Logger, NodeId } from '@omnipaxos/core';
import {
  type CatchUpEvent,
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
import { FileHistoryStore } from './file-history-store.js';
import { withGroupCommit } from './group-commit.js';
import { PEER_KEY, assertClientCommand } from './internal-keys.js';
import { type KvCommand, type KvResult, isKvCommand } from './kv-command.js';
import { stderrLogger } from './kv-logger.js';
import { KvState } from './kv-state.js';
import { type ChangeOutcome, type ChangeRequest, Membership, type MembershipChange } from './membership.js';
import { type MembershipRecord, resumeMembership, saveMembership } from './membership-record.js';

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
  /** This replica's HTTP and native client addresses, kept in its membership record (for `pnpm start --data`). */
  http?: string;
  client?: string;
  /**
   * Diagnostics of the replication transport (links up and down, refused connections, messages too
   * large for a frame or undecodable) and a failed storage; default: JSON lines on stderr, warnings
   * and errors only.
   */
  logger?: Logger;
  /** How many bytes of the latest decided entries `log()` keeps (approximate, default 64 MiB). */
  retainLogBytes?: number;
  /**
   * Start from a new, empty database although this data folder held one that is now missing, empty
   * or unreadable (`--force-new-identity`; damaged files are moved aside). See docs/kv-store.md.
   */
  forceNewIdentity?: boolean;
  /** Cap on each database's size in bytes: a write beyond it fails as a full disk does (tests, quotas). */
  maxDatabaseBytes?: number;
  /** Most bytes of commands (keys and values) waiting to be decided before new ones are refused (default 256 MiB). */
  maxInFlightBytes?: number;
}

/** CatchUpProgress is a joining replica's pull of the earlier log (from its `omnipaxos.catchUp` events). */
export interface CatchUpProgress {
  configurationId: number;
  /** Log positions pulled so far, of `total`. */
  received: number;
  total: number;
  /** The sources that served chunks so far. */
  sources: NodeId[];
  completed: boolean;
}

/** MembersView is what `GET /members` shows: the configuration, the addresses, the change in progress. */
export interface MembersView {
  pid: NodeId;
  configuration: { configurationId: number; nodes: NodeId[] };
  mode: KvStatus['mode'];
  leader: NodeId | null;
  /** Replica pid → replication address, for the members and every address this replica knows. */
  peers: Record<number, string>;
  /** Per member other than this one: the link state (`connected` = it answered a handshake). */
  links: Record<number, string>;
  /** The membership change running cluster-wide, if any. */
  change: MembershipChange | null;
  /** This replica's own catch-up, if it joined by reconfiguration. */
  catchUp: CatchUpProgress | null;
  /** Where this replica keeps its data (absolute), for `kv member add --spawn`. */
  dataDir: string;
}

/** KvStatus is what the status endpoint shows. */
export interface KvStatus {
  pid: NodeId;
  leader: NodeId | null;
  /** The ballot this node promised (the leader's ballot once it follows one), from its storage. */
  ballot: Ballot | null;
  /** The configuration this node runs (its id and nodes). */
  configuration: { configurationId: number; nodes: NodeId[] };
  /**
   * `running`, `joining` (pulling the earlier log), `retired` (removed by a reconfiguration), `stopped`,
   * or `failed`: the disk failed (see `failure`); the node stopped voting and serving, restart it.
   */
  mode: 'running' | 'joining' | 'retired' | 'stopped' | 'failed';
  /** Why the node failed (mode `failed`): the storage's error, naming the file. */
  failure?: string;
  /** This process's memory in bytes (`process.memoryUsage()`: rss and V8 heap used). */
  memory?: { rss: number; heapUsed: number };
  /** Entries applied to the state machine (= the decided index of the application's log). */
  decidedIdx: number;
  keys: number;
  /** Per peer: link state (`connected`, `connecting`, `down`, `cut`, …); details in `transport`. */
  links: Record<number, string>;
  transport: TransportStats;
  // The fields below are for observers such as the scope (docs/scope.md); optional so test doubles may omit them.
  /** `leader`, `follower`, `recovering` (joining, or no leader known yet), `retired` or `stopped`. */
  role?: 'leader' | 'follower' | 'recovering' | 'retired' | 'stopped' | 'failed';
  /** The round of the entries this node accepted (the leader's ballot it last accepted from), from its storage. */
  acceptedRound?: Ballot | null;
  /** The current configuration's log: its decided index, accepted end (stop sign included) and compacted index. */
  logDecidedIdx?: number;
  acceptedIdx?: number;
  compactedIdx?: number;
  /** How often the supervisor restarted this node's protocol actors. */
  restarts?: number;
  /** True when the transport is connected to a majority of the configuration (this node included). */
  quorumConnected?: boolean;
  /** Where this replica serves clients: `http` (the JSON API) and `client` (the native protocol), as `host:port`. */
  addresses?: { http: string | null; client: string | null };
}

/** LogItem is one decided entry as `GET /log` shows it: its index, the proposing replica and the command. */
export interface LogItem {
  idx: number;
  origin: NodeId;
  entry: KvCommand;
}

export { PEER_KEY } from './internal-keys.js';

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
  /** Replica pid → replication address this replica knows (from its options, its record and the log). */
  private readonly peers = new Map<NodeId, string>();
  private catchUp: CatchUpProgress | null = null;
  private record: MembershipRecord;
  /** membership runs validated membership changes through this replica (POST /members, /reconfigure). */
  readonly membership: Membership;
  private restarts = 0;
  private failure: string | undefined;
  /** Approximate bytes of this node's commands appended and not yet decided (see maxInFlightBytes). */
  private inFlightBytes = 0;
  private readonly maxInFlightBytes: number;

  private constructor(
    readonly pid: NodeId,
    private readonly replica: Replica<KvCommand>,
    private readonly transport: TcpTransport<ReplicatedEntry<KvCommand>>,
    private readonly storages: Map<number, Store>,
    private readonly o: KvNodeOptions,
    record: MembershipRecord,
  ) {
    this.record = record;
    this.config = { ...record.current, nodes: [...record.current.nodes] };
    this.mode = record.retired ? 'retired' : o.joining === true ? 'joining' : 'running';
    this.maxInFlightBytes = o.maxInFlightBytes ?? 256 * 1024 * 1024;
    for (const [p, a] of Object.entries(record.peers)) this.peers.set(Number(p), a);
    this.membership = new Membership({
      pid,
      configuration: () => ({ configurationId: this.config.configurationId, nodes: [...this.config.nodes] }),
      mode: () => this.currentMode(),
      peerAddress: (p) => this.peers.get(p),
      linkState: (p) => this.transport.stats().peers.find((x) => x.pid === p)?.state,
      setLocalPeer: (p, address) => this.setLocalPeer(p, address),
      readInternal: (key) => this.state.peek(key),
      executeInternal: async (command) => (await this.run(command)).result,
      proposeStopSign: (next) => this.replica.reconfigure(next),
    });
    replica.actor.on('omnipaxos.catchUp', (e) => this.trackCatchUp(e.event));
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
      this.saveRecord();
    });
    replica.actor.on('omnipaxos.restarted', () => this.restarts++);
    replica.actor.subscribe({ complete: () => (this.mode = this.mode === 'stopped' || this.mode === 'failed' ? this.mode : 'retired'), error: () => undefined });
  }

  /** currentMode is the mode, `retired` as soon as a decided stop sign ended our configuration without us. */
  private currentMode(): KvStatus['mode'] {
    if (this.mode === 'stopped' || this.mode === 'failed') return this.mode;
    const s = this.replica.actor.getSnapshot();
    return s.context.mode === 'handover' || s.output?.reason === 'retired' ? 'retired' : this.mode;
  }

  private trackCatchUp(e: CatchUpEvent): void {
    if (e.kind === 'started') {
      this.catchUp = { configurationId: e.configurationId, received: 0, total: e.to - e.from, sources: [], completed: false };
    } else if (this.catchUp && (e.kind === 'chunk' || e.kind === 'snapshot')) {
      this.catchUp.received = e.received;
      this.catchUp.total = e.total;
      if (!this.catchUp.sources.includes(e.source)) this.catchUp.sources.push(e.source);
    } else if (this.catchUp && e.kind === 'completed') {
      this.catchUp.received = this.catchUp.total;
      this.catchUp.completed = true;
      this.record.joined = true;
      this.saveRecord();
    }
  }

  /** saveRecord writes this replica's membership record (configuration, addresses) durably. */
  private saveRecord(): void {
    const peers: Record<string, string> = {};
    for (const [p, a] of [...this.peers].sort((x, y) => x[0] - y[0])) peers[p] = a;
    this.record = {
      ...this.record,
      current: { configurationId: this.config.configurationId, nodes: [...this.config.nodes] },
      retired: this.currentMode() === 'retired' && !this.config.nodes.includes(this.pid),
      joined: this.record.joined || (this.record.start.joining && this.mode === 'running'),
      peers,
      ...(this.o.http !== undefined ? { http: this.o.http } : {}),
      ...(this.o.client !== undefined ? { client: this.o.client } : {}),
      process: process.pid,
    };
    try {
      saveMembership(this.o.dataDir, this.record);
    } catch {
      // stopping (folder gone) or a full disk: the history store still resumes the configuration
    }
  }

  /** setAddresses records this replica's HTTP and client addresses once it listens. */
  setAddresses(http: string, client: string): void {
    this.o.http = http;
    this.o.client = client;
    this.saveRecord();
  }

  private setLocalPeer(p: NodeId, address: string | undefined): void {
    if (p === this.pid) return;
    if (address === undefined) {
      this.transport.removePeer(p);
      return;
    }
    this.transport.setPeerAddress(p, parseAddress(address));
  }

  /** members returns the membership as `GET /members` shows it. */
  members(): MembersView {
    const links: Record<number, string> = {};
    for (const p of this.transport.stats().peers) if (this.config.nodes.includes(p.pid)) links[p.pid] = p.state;
    const peers: Record<number, string> = {};
    for (const [p, a] of [...this.peers].sort((x, y) => x[0] - y[0])) peers[p] = a;
    return {
      pid: this.pid,
      configuration: { configurationId: this.config.configurationId, nodes: [...this.config.nodes] },
      mode: this.currentMode(),
      leader: this.replica.getLeader() ?? null,
      peers,
      links,
      change: this.membership.running() ?? null,
      catchUp: this.catchUp && { ...this.catchUp, sources: [...this.catchUp.sources] },
      dataDir: resolve(this.o.dataDir),
    };
  }

  /**
   * start opens the storage, starts the transport and the replica. A replica that ran before resumes
   * from its membership record (the configuration it first started in, whether it finished joining,
   * the addresses it learned) and its history record (the configuration it runs now), whatever
   * configuration the options name.
   */
  static async start(given: KvNodeOptions): Promise<KvNode> {
    const clusterId = given.clusterId ?? 'kv-store';
    mkdirSync(given.dataDir, { recursive: true });
    const { options: o, record } = resumeMembership(given.dataDir, given);
    const first = record.start.configurationId;
    const storages = new Map<number, Store>();
    const logger = o.logger ?? stderrLogger('warn', { pid: o.pid });
    // A storage that fails for good (full disk, I/O error, damaged bytes) fails the node: see diskFailed.
    const failed: { node?: KvNode; early?: Error } = {};
    const onFailure = (err: Error): void => {
      logger.error('storage failed: this replica stops voting and serving; restart it once the disk is fixed', { error: err.message });
      if (failed.node) failed.node.diskFailed(err);
      else failed.early ??= err;
    };
    const storageFor = (configurationId: number): Store => {
      let s = storages.get(configurationId);
      if (s === undefined) {
        const file = configurationId === 1 ? `replica-${o.pid}.sqlite` : `replica-${o.pid}-config-${configurationId}.sqlite`;
        s = withGroupCommit(
          openSqliteStorage<ReplicatedEntry<KvCommand>>({
            path: join(o.dataDir, file),
            clusterId,
            pid: o.pid,
            onFailure,
            ...(o.forceNewIdentity === true ? { forceNewIdentity: true } : {}),
            ...(o.maxDatabaseBytes !== undefined ? { maxSizeBytes: o.maxDatabaseBytes } : {}),
          }),
        );
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
      logger,
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
      // The configuration this replica runs survives restarts (the command line names the first one).
      historyStore: new FileHistoryStore(join(o.dataDir, `replica-${o.pid}-history.json`)),
      ...(o.retainLogBytes !== undefined ? { retainDecidedBytes: o.retainLogBytes } : {}),
      ...(o.joining === true ? { joining: true } : {}),
    });
    const node = new KvNode(o.pid, replica, transport, storages, o, record);
    node.saveRecord();
    failed.node = node;
    if (failed.early) node.diskFailed(failed.early);
    return node;
  }

  /**
   * diskFailed stops this node for good after its storage failed (ENOSPC, EIO, a damaged entry): it
   * stops voting and answering as a replica (the replica and the transport shut down, so the others
   * elect around it) and `/status` shows `mode: "failed"` with the reason. Restart the process once
   * the disk is fixed: what was acknowledged was flushed before, and the restart recovers it.
   */
  diskFailed(err: Error): void {
    if (this.mode === 'failed') return;
    this.mode = 'failed';
    this.failure = err.message;
    // Not inside the storage call that failed (it may run inside the replica's own transition).
    setImmediate(() => void this.replica.stop().then(() => this.transport.close()).catch(() => undefined));
  }

  /**
   * execute appends a client's `command` to the log and resolves with its index and result once
   * decided and applied. Writes to internal keys (`@...`) are refused with ReservedKeyError.
   */
  async execute(command: KvCommand): Promise<{ idx: number; result: KvResult }> {
    if (!isKvCommand(command)) throw new TypeError('not a key-value command');
    assertClientCommand(command);
    return this.run(command);
  }

  private async run(command: KvCommand): Promise<{ idx: number; result: KvResult }> {
    if (this.mode === 'failed') throw new Error(`replica ${this.pid} failed: ${this.failure ?? 'disk failure'}`);
    // The commands waiting here are held in memory until decided: bounded in bytes, not only by count.
    const size = commandBytes(command);
    if (this.inFlightBytes > 0 && this.inFlightBytes + size > this.maxInFlightBytes) {
      throw new Error(`replica ${this.pid} is busy: ${this.inFlightBytes} bytes of commands in flight (limit ${this.maxInFlightBytes}); retry later`);
    }
    this.inFlightBytes += size;
    const { idx } = await this.replica
      .append(command)
      .catch((err: unknown) => {
        throw this.mode === 'failed' ? new Error(`replica ${this.pid} failed: ${this.failure ?? 'disk failure'}`) : err;
      })
      .finally(() => (this.inFlightBytes -= size));
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
    let acceptedRound: Ballot | null = null;
    let logDecidedIdx = 0;
    let acceptedIdx = 0;
    let compactedIdx = 0;
    try {
      const storage = this.storages.get(this.config.configurationId);
      ballot = storage?.getPromise() ?? null;
      acceptedRound = storage?.getAcceptedRound() ?? null;
      if (storage !== undefined) {
        logDecidedIdx = storage.getDecidedIdx();
        compactedIdx = storage.getCompactedIdx();
        acceptedIdx = compactedIdx + storage.getLogLen() + (storage.getStopsign() !== undefined ? 1 : 0);
      }
    } catch {
      // storage closed (stopping)
    }
    const leader = this.replica.getLeader() ?? null;
    const connected = this.config.nodes.filter((p) => p === this.pid || links[p] === 'connected').length;
    const mode = this.currentMode();
    const role: KvStatus['role'] = mode === 'retired' || mode === 'stopped' || mode === 'failed' ? mode
      : mode === 'joining' || leader === null ? 'recovering' : leader === this.pid ? 'leader' : 'follower';
    return {
      pid: this.pid,
      leader,
      ballot,
      configuration: { configurationId: this.config.configurationId, nodes: [...this.config.nodes] },
      mode,
      ...(this.failure !== undefined ? { failure: this.failure } : {}),
      memory: { rss: process.memoryUsage.rss(), heapUsed: process.memoryUsage().heapUsed },
      decidedIdx: this.state.applied,
      keys: this.state.size,
      links,
      transport,
      role,
      acceptedRound,
      logDecidedIdx,
      acceptedIdx,
      compactedIdx,
      restarts: this.restarts,
      quorumConnected: connected * 2 > this.config.nodes.length,
      addresses: { http: this.o.http ?? null, client: this.o.client ?? null },
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
    if (!Number.isSafeInteger(peer) || peer <= 0) return;
    try {
      const address = parseAddress(value);
      this.peers.set(peer, value);
      if (peer !== this.pid) this.transport.setPeerAddress(peer, address);
      this.saveRecord();
    } catch {
      // not an address: an ordinary key after all
    }
  }

  /**
   * reconfigure runs one validated membership change to `nodes` (see Membership): new replicas'
   * addresses (`peers`, `host:port`) must answer a handshake as their pid, and the answer reports
   * whether the next configuration was really decided. Throws MembershipError when refused.
   */
  reconfigure(nodes: NodeId[], peers: Record<number, string> = {}, options: Omit<ChangeRequest, 'nodes' | 'peers'> = {}): Promise<ChangeOutcome> {
    return this.membership.change({ ...options, nodes, peers });
  }

  /** setLinkEnabled cuts (false) or heals (true) this node's link to `peer`: a test hook. */
  setLinkEnabled(peer: NodeId, enabled: boolean): void {
    this.transport.setLinkEnabled(peer, enabled);
  }

  /** stop shuts the replica, the transport and the storage down. */
  async stop(): Promise<void> {
    if (this.mode !== 'failed') this.mode = 'stopped';
    await this.replica.stop();
    await this.transport.close();
    for (const s of this.storages.values()) s.close();
  }
}

/** commandBytes approximates the memory a command holds: its strings' lengths plus a small overhead. */
function commandBytes(c: KvCommand): number {
  let n = 64 + c.key.length;
  if ('value' in c && typeof c.value === 'string') n += c.value.length;
  if ('expected' in c && typeof c.expected === 'string') n += c.expected.length;
  return n;
}

function entriesOf(msg: { type: string }): unknown[] {
  const m = msg as { entries?: unknown; logSync?: { suffix?: unknown } };
  const out: unknown[] = [];
  if (Array.isArray(m.entries)) out.push(...m.entries);
  if (Array.isArray(m.logSync?.suffix)) out.push(...m.logSync.suffix);
  return out;
}
