import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeId } from '@omnipaxos/core';
import { writeJsonDurably } from '@omnipaxos/storage-sqlite';
import type { PeerAddress } from '@omnipaxos/transport-tcp';
import { parseAddress } from './args.js';
import { readJson } from './file-history-store.js';

/** ConfigurationView is a configuration's id and nodes. */
export interface ConfigurationView {
  configurationId: number;
  nodes: NodeId[];
}

/**
 * MembershipRecord is what a replica keeps in `replica-<pid>-membership.json` in its data folder: the
 * configuration it was first started in (its databases start there), whether it has finished joining,
 * the configuration it runs now, every replica's replication address it knows, and its own addresses.
 * A restart of the replica, and `pnpm start --data DIR`, resume from it.
 */
export interface MembershipRecord {
  pid: NodeId;
  start: ConfigurationView & { joining: boolean };
  /** True once a joining replica pulled the history and runs its configuration. */
  joined: boolean;
  current: ConfigurationView;
  /** True when a decided stop sign ended `current` and this replica is not in the next one. */
  retired: boolean;
  /** Replica pid → replication `host:port`, this replica's own included. */
  peers: Record<string, string>;
  /** This replica's HTTP and native client addresses (`host:port`), as it last listened. */
  http?: string;
  client?: string;
  /** The operating-system process id of the replica process that wrote the record last. */
  process?: number;
}

/** membershipFile names replica `pid`'s record in `dataDir`. */
export function membershipFile(dataDir: string, pid: NodeId): string {
  return join(dataDir, `replica-${pid}-membership.json`);
}

/** loadMembership reads replica `pid`'s record, or undefined on its first start. */
export function loadMembership(dataDir: string, pid: NodeId): MembershipRecord | undefined {
  const r = readJson(membershipFile(dataDir, pid));
  if (r === undefined) return undefined;
  if (!isRecord(r) || r.pid !== pid) throw new Error(`${membershipFile(dataDir, pid)} is not replica ${pid}'s membership record`);
  return r;
}

/** StartMembership is what a replica's command line says of its membership. */
export interface StartMembership {
  pid: NodeId;
  nodes: NodeId[];
  configurationId?: number;
  joining?: boolean;
  peers: Record<number, PeerAddress>;
}

/**
 * resumeMembership reads replica `given.pid`'s record in `dataDir`: a replica that ran before starts
 * from its record (the configuration it first started in, whether it finished joining, the addresses
 * it learned, the command line's addresses on top), whatever configuration the command line names;
 * on a first start the record is made from the command line. Returns the options to start with and
 * the record to keep.
 */
export function resumeMembership<O extends StartMembership>(dataDir: string, given: O): { options: O; record: MembershipRecord } {
  const saved = loadMembership(dataDir, given.pid);
  const options: O = saved
    ? {
        ...given,
        nodes: saved.start.nodes,
        configurationId: saved.start.configurationId,
        joining: saved.start.joining && !saved.joined,
        peers: { ...Object.fromEntries(Object.entries(saved.peers).map(([p, a]) => [p, parseAddress(a)])), ...given.peers },
      }
    : given;
  const first = options.configurationId ?? 1;
  const record: MembershipRecord = saved ?? {
    pid: options.pid,
    start: { configurationId: first, nodes: [...options.nodes], joining: options.joining === true },
    joined: false,
    current: { configurationId: first, nodes: [...options.nodes] },
    retired: false,
    peers: {},
  };
  for (const [p, a] of Object.entries(options.peers)) record.peers[p] = `${a.host}:${a.port}`;
  return { options, record };
}

/** saveMembership writes the record durably (fsync + rename). */
export function saveMembership(dataDir: string, record: MembershipRecord): void {
  writeJsonDurably(membershipFile(dataDir, record.pid), record);
}

/** loadAllMemberships reads every replica's record in `dataDir` (the launcher's view of a data folder). */
export function loadAllMemberships(dataDir: string): MembershipRecord[] {
  const out: MembershipRecord[] = [];
  for (const name of readdirSync(dataDir)) {
    const m = /^replica-(\d+)-membership\.json$/.exec(name);
    if (m) {
      const r = loadMembership(dataDir, Number(m[1]));
      if (r) out.push(r);
    }
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/** latestConfiguration returns the newest configuration any record names (the cluster's current one). */
export function latestConfiguration(records: MembershipRecord[]): ConfigurationView | undefined {
  let best: ConfigurationView | undefined;
  for (const r of records) if (!best || r.current.configurationId > best.configurationId) best = r.current;
  return best;
}

function isConfig(x: unknown): x is ConfigurationView {
  const c = x as ConfigurationView;
  return typeof c === 'object' && c !== null && Number.isSafeInteger(c.configurationId) && Array.isArray(c.nodes) && c.nodes.every(Number.isSafeInteger);
}

function isRecord(x: unknown): x is MembershipRecord {
  const r = x as MembershipRecord;
  return typeof r === 'object' && r !== null && Number.isSafeInteger(r.pid) && isConfig(r.start) && isConfig(r.current) &&
    typeof r.peers === 'object' && r.peers !== null;
}
