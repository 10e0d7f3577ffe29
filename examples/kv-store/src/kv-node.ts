import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeId } from '@omnipaxos/core';
import { type Replica, type ReplicatedEntry, createReplica, isReplicatedEntry, payloadOf } from '@omnipaxos/actors';
import { openSqliteStorage } from '@omnipaxos/storage-sqlite';
import { type PeerAddress, TcpTransport, type TcpTlsOptions, type TransportStats } from '@omnipaxos/transport-tcp';
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
}

/** KvStatus is what the status endpoint shows. */
export interface KvStatus {
  pid: NodeId;
  leader: NodeId | null;
  /** Entries applied to the state machine (= the decided index of the application's log). */
  decidedIdx: number;
  keys: number;
  transport: TransportStats;
}

/**
 * KvNode is one replica of the key-value store: SQLite storage, the TCP transport, the actors'
 * replica, and the state machine fed from the decided log. Every operation, reads included, is
 * appended to the log and answered with its result at the point it was applied: linearizable.
 */
export class KvNode {
  private readonly state = new KvState();
  /** Results of this node's own commands, by log index, until their client takes them. */
  private readonly results = new Map<number, KvResult>();

  private constructor(
    readonly pid: NodeId,
    private readonly replica: Replica<KvCommand>,
    private readonly transport: TcpTransport<ReplicatedEntry<KvCommand>>,
    private readonly closeStorage: () => void,
  ) {
    replica.onDecided(0, (item) => {
      const result = this.state.apply(item.entry);
      if (item.origin === pid) this.results.set(item.idx, result);
      if (this.results.size > 100_000) {
        for (const idx of this.results.keys()) if (idx < item.idx - 50_000) this.results.delete(idx);
      }
    });
  }

  /** start opens the storage, starts the transport and the replica. */
  static async start(o: KvNodeOptions): Promise<KvNode> {
    const clusterId = o.clusterId ?? 'kv-store';
    mkdirSync(o.dataDir, { recursive: true });
    const storage = openSqliteStorage<ReplicatedEntry<KvCommand>>({ path: join(o.dataDir, `replica-${o.pid}.sqlite`), clusterId, pid: o.pid });
    const transport = new TcpTransport<ReplicatedEntry<KvCommand>>({
      pid: o.pid,
      clusterId,
      listen: o.listen,
      peers: o.peers,
      validate: (m) => m.kind !== 'SequencePaxos' || entriesOf(m.msg).every((e) => isReplicatedEntry(e) && isKvCommand(payloadOf(e))),
      ...(o.tls ? { tls: o.tls } : {}),
    });
    await transport.start();
    const replica = createReplica<KvCommand>({ pid: o.pid, nodes: o.nodes, storage, transport, tickMs: o.tickMs ?? 10 });
    return new KvNode(o.pid, replica, transport, () => storage.close());
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

  /** status reports the leader, the applied index and the transport's links. */
  status(): KvStatus {
    return {
      pid: this.pid,
      leader: this.replica.getLeader() ?? null,
      decidedIdx: this.state.applied,
      keys: this.state.size,
      transport: this.transport.stats(),
    };
  }

  /** transportHooks exposes the transport's link test hooks (cut/heal) for the status API. */
  setLinkEnabled(peer: NodeId, enabled: boolean): void {
    this.transport.setLinkEnabled(peer, enabled);
  }

  /** stop shuts the replica, the transport and the storage down. */
  async stop(): Promise<void> {
    await this.replica.stop();
    await this.transport.close();
    this.closeStorage();
  }
}

function entriesOf(msg: { type: string }): unknown[] {
  const m = msg as { entries?: unknown; logSync?: { suffix?: unknown } };
  const out: unknown[] = [];
  if (Array.isArray(m.entries)) out.push(...m.entries);
  if (Array.isArray(m.logSync?.suffix)) out.push(...m.logSync.suffix);
  return out;
}
