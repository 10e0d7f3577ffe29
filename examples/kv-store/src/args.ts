import type { NodeId } from '@omnipaxos/core';
import type { PeerAddress } from '@omnipaxos/transport-tcp';
import { type SecurityArgs, parseSecurityArgs } from './security-args.js';

/** ServerArgs are one replica process's settings, from `--pid --nodes --peers --http --client --data`. */
export interface ServerArgs {
  pid: NodeId;
  nodes: NodeId[];
  peers: Record<number, PeerAddress>;
  http: PeerAddress;
  /** Where the native client protocol listens (`--client host:port`, default 127.0.0.1:0 = any free port). */
  client: PeerAddress;
  dataDir: string;
  /** Files of the cluster CA, this node's certificate and key (`--tls-ca --tls-cert --tls-key`): mutual TLS. */
  tls?: { ca: string; cert: string; key: string };
  /** The configuration `nodes` belong to (`--config-id`, default 1). */
  configurationId: number;
  /** `--join` (or `--joining`): this node joins `configurationId` by reconfiguration (pulls the earlier log first). */
  joining: boolean;
  /**
   * `--force-new-identity`: start from a new, empty database although the data folder held one that is
   * now missing, empty or unreadable. Refused for clusters of fewer than three nodes (no other quorum
   * holds what this node promised); see docs/kv-store.md for the risk with three or more.
   */
  forceNewIdentity: boolean;
  /** `--max-db-bytes`: cap on each database's size; a write beyond it fails as a full disk does (quotas, tests). */
  maxDatabaseBytes?: number;
  /** `--tick-ms` (default 10). */
  tickMs: number;
  /** Client authentication, client-surface TLS and connection limits (see security-args.ts). */
  security: SecurityArgs;
}

/** parseAddress reads `host:port`. */
export function parseAddress(s: string): PeerAddress {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not host:port: ${s}`);
  return { host: s.slice(0, i), port };
}

/** addressFlag reads `--name host:port` (default `fallback`) with an error naming the flag. */
function addressFlag(f: Map<string, string>, name: string, fallback: string): PeerAddress {
  const v = f.get(name) ?? fallback;
  if (v === 'true') throw new Error(`--${name} needs a value: host:port (port 0 picks a free one)`);
  try {
    return parseAddress(v);
  } catch {
    throw new Error(`--${name} must be host:port with a port from 0 to 65535 (0 picks a free one), got ${JSON.stringify(v)}`);
  }
}

/** flags reads `--name value` pairs. */
export function flags(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a?.startsWith('--')) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        out.set(a.slice(2), next);
        i++;
      } else out.set(a.slice(2), 'true');
    }
  }
  return out;
}

/**
 * parseServerArgs reads e.g. `--pid 1 --nodes 1,2,3 --peers 1=10.0.0.1:7101,2=10.0.0.2:7101,3=10.0.0.3:7101
 * --http 0.0.0.0:7201 --client 0.0.0.0:7301 --data ./data`, plus `--tls-ca ca.pem --tls-cert n1.pem --tls-key n1.key`,
 * `--config-id 2 --join` (a node added by a reconfiguration; `--joining` is the same) and `--tick-ms 10`.
 */
export function parseServerArgs(argv: string[]): ServerArgs {
  const f = flags(argv);
  const need = (k: string): string => {
    const v = f.get(k);
    if (v === undefined) throw new Error(`missing --${k}`);
    return v;
  };
  const pid = Number(need('pid'));
  const nodes = need('nodes').split(',').map(Number);
  const peers: Record<number, PeerAddress> = {};
  for (const part of need('peers').split(',')) {
    const [p, addr] = part.split('=');
    if (p === undefined || addr === undefined) throw new Error(`--peers entry is not pid=host:port: ${part}`);
    peers[Number(p)] = parseAddress(addr);
  }
  if (!nodes.includes(pid) || peers[pid] === undefined) throw new Error(`--pid ${pid} must be in --nodes and --peers`);
  const tlsFlags = ['tls-ca', 'tls-cert', 'tls-key'].map((k) => f.get(k));
  const [ca, cert, key] = tlsFlags;
  if (tlsFlags.some((v) => v !== undefined) && (ca === undefined || cert === undefined || key === undefined)) {
    throw new Error('TLS needs all of --tls-ca, --tls-cert and --tls-key');
  }
  const configurationId = Number(f.get('config-id') ?? 1);
  const tickMs = Number(f.get('tick-ms') ?? 10);
  if (!Number.isSafeInteger(configurationId) || configurationId < 1) throw new Error('--config-id must be a positive integer');
  if (!(tickMs > 0)) throw new Error('--tick-ms must be positive');
  const forceNewIdentity = f.get('force-new-identity') === 'true';
  if (forceNewIdentity && nodes.length < 3) {
    throw new Error(
      `--force-new-identity is refused in a cluster of ${nodes.length} node(s): no quorum of the others holds what this node ` +
        'promised and accepted, so starting it blank can lose acknowledged writes. Restore its database instead',
    );
  }
  const maxDb = f.get('max-db-bytes');
  const maxDatabaseBytes = maxDb === undefined ? undefined : Number(maxDb);
  if (maxDatabaseBytes !== undefined && !(Number.isSafeInteger(maxDatabaseBytes) && maxDatabaseBytes > 0)) {
    throw new Error(`--max-db-bytes must be a positive integer, got ${JSON.stringify(maxDb)}`);
  }
  const http = parseAddress(f.get('http') ?? '127.0.0.1:0');
  const client = addressFlag(f, 'client', '127.0.0.1:0');
  if (client.port !== 0 && client.port === http.port && client.host === http.host) {
    throw new Error(`--client and --http must be different ports (both ${client.host}:${client.port})`);
  }
  return {
    pid,
    nodes,
    peers,
    http,
    client,
    dataDir: f.get('data') ?? './data',
    ...(ca !== undefined && cert !== undefined && key !== undefined ? { tls: { ca, cert, key } } : {}),
    configurationId,
    joining: f.get('joining') === 'true' || f.get('join') === 'true',
    forceNewIdentity,
    ...(maxDatabaseBytes !== undefined ? { maxDatabaseBytes } : {}),
    tickMs,
    security: parseSecurityArgs(f),
  };
}
