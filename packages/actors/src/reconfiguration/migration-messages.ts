import type { ClusterConfig, Message, NodeId } from '@omnipaxos/core';
import type { HistorySnapshot } from './history-snapshot.js';

/**
 * ConfigSummary describes one finished configuration of the global log: its cluster configuration and
 * `length`, the number of decided entries before its stop sign. The global raw log is the
 * concatenation of every finished configuration's entries, in configuration order.
 */
export interface ConfigSummary {
  config: ClusterConfig;
  length: number;
}

/** SegmentUnavailableReason says why a source could not serve a segment request. */
export type SegmentUnavailableReason =
  /** The source has not decided (or not yet learned) that far: ask again later or elsewhere. */
  | 'NotReady'
  /** The source trimmed or snapshotted that part of its log: ask another source. */
  | 'Compacted';

/**
 * MigrationMsg is every message of the reconfiguration handover, discriminated by `type`. Positions
 * (`from`, `to`) are global raw positions: counted over the concatenated decided logs of all finished
 * configurations, stop signs excluded, before any de-duplication.
 */
export type MigrationMsg<E> =
  /**
   * ReconfigInit: "the stop sign ending `history[last]` is decided; `nextConfig` follows it". Sent by
   * every server holding the complete history to every node of the old and the new configuration,
   * resent until that node answers ReconfigAck.
   */
  | { type: 'ReconfigInit'; nextConfig: ClusterConfig; history: ConfigSummary[] }
  /** ReconfigAck: the sender holds the complete history up to `configurationId`'s start. */
  | { type: 'ReconfigAck'; configurationId: number }
  /** SegmentRequest asks for the decided entries in [from, to) of the history ending with configuration `upTo`. */
  | { type: 'SegmentRequest'; upTo: number; reqId: number; from: number; to: number }
  /**
   * SegmentReply carries the entries in [from, from + entries.length). A source that compacted the
   * requested start adds its `snapshot` (standing for [0, snapshot.rawEnd)); `from` is then
   * `snapshot.rawEnd` and the entries follow the snapshot.
   */
  | { type: 'SegmentReply'; upTo: number; reqId: number; from: number; entries: E[]; snapshot?: HistorySnapshot }
  /** SegmentUnavailable refuses a request; the puller asks another ready source. */
  | { type: 'SegmentUnavailable'; upTo: number; reqId: number; reason: SegmentUnavailableReason };

/** MigrationMessage is the transport envelope of a migration message: `kind: 'Migration'`. */
export interface MigrationMessage<E> {
  kind: 'Migration';
  from: NodeId;
  to: NodeId;
  msg: MigrationMsg<E>;
}

/**
 * WireMessage is everything the actors send over a Transport: the core's replica messages
 * (`kind: 'SequencePaxos' | 'BLE'`) and the reconfiguration handover (`kind: 'Migration'`).
 */
export type WireMessage<E, S = never> = Message<E, S> | MigrationMessage<E>;

/** isMigrationMessage tells a migration envelope from a core replica message. */
export function isMigrationMessage<E, S>(m: WireMessage<E, S>): m is MigrationMessage<E> {
  return m.kind === 'Migration';
}
