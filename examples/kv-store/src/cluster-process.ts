import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NodeId } from '@omnipaxos/core';

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
/** The tsx loader, run inside the replica's own node process (no wrapper process: SIGKILL hits the replica). */
const TSX_LOADER = new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** ReplicaSpec is how to start one replica process. */
export interface ReplicaSpec {
  pid: NodeId;
  nodes: NodeId[];
  /** pid → replication port on 127.0.0.1, for every peer this replica talks to (`nodes` and, in a reconfiguration, the others). */
  replicationPorts: Record<number, number>;
  httpPort: number;
  /** Port of the native client protocol on 127.0.0.1 (default 0: any free port, reported in `readyInfo`). */
  clientPort?: number;
  dataDir: string;
  /** The configuration `nodes` form (default 1). */
  configurationId?: number;
  /** This replica joins `configurationId` by reconfiguration (`--joining`). */
  joining?: boolean;
  /** Files of the cluster CA, this replica's certificate and key: mutual TLS between replicas. */
  tls?: { ca: string; cert: string; key: string };
  /** Extra node flags for the replica process (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** Extra server flags (e.g. `--users`, `--client-tls-cert`, `--max-connections`: see docs/security.md; `--force-new-identity`, `--max-db-bytes 262144`). */
  serverArgs?: string[];
}

/** ReplicaReadyInfo is what a replica's ready line says: its HTTP base URL and its client-protocol address. */
export interface ReplicaReadyInfo {
  /** e.g. `http://127.0.0.1:7201`, or `https://…` with client TLS (the same string `ready` resolves with). */
  httpUrl: string;
  clientHost: string;
  clientPort: number;
}

/** ReplicaProcess is a replica's child process; `ready` resolves with its HTTP base URL, `readyInfo` with every address. */
export interface ReplicaProcess {
  pid: NodeId;
  child: ChildProcess;
  ready: Promise<string>;
  readyInfo: Promise<ReplicaReadyInfo>;
  /** exited resolves when the process ends. */
  exited: Promise<number | null>;
}

/** spawnReplica starts `server.ts` in its own node process; `ready` resolves once it prints its ready line. */
export function spawnReplica(spec: ReplicaSpec): ReplicaProcess {
  const peerPids = [...new Set([...spec.nodes, ...Object.keys(spec.replicationPorts).map(Number)])];
  const peers = peerPids.map((p) => `${p}=127.0.0.1:${spec.replicationPorts[p] ?? 0}`).join(',');
  const args = [...(spec.nodeArgs ?? []), '--import', TSX_LOADER, SERVER, '--pid', String(spec.pid), '--nodes', spec.nodes.join(','), '--peers', peers,
    '--http', `127.0.0.1:${spec.httpPort}`, '--client', `127.0.0.1:${spec.clientPort ?? 0}`, '--data', spec.dataDir,
    ...(spec.configurationId !== undefined ? ['--config-id', String(spec.configurationId)] : []), ...(spec.joining === true ? ['--joining'] : []),
    ...(spec.tls ? ['--tls-ca', spec.tls.ca, '--tls-cert', spec.tls.cert, '--tls-key', spec.tls.key] : []), ...(spec.serverArgs ?? [])];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The replica exits if this process dies without stopping it (a killed test run leaves no orphans).
    env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG, KV_EXIT_WITH_PARENT: '1' },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const readyInfo = new Promise<ReplicaReadyInfo>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`replica ${spec.pid} did not start in 60 s: ${stderr}`)), 60_000);
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean; http?: string; client?: string; https?: boolean };
        if (msg.ready === true && msg.http !== undefined && msg.client !== undefined) {
          clearTimeout(timer);
          const i = msg.client.lastIndexOf(':');
          resolve({ httpUrl: `${msg.https === true ? 'https' : 'http'}://${msg.http}`, clientHost: msg.client.slice(0, i), clientPort: Number(msg.client.slice(i + 1)) });
        }
      } catch {
        // not our ready line
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`replica ${spec.pid} exited (${code}) before it was ready: ${stderr}`));
    });
  });
  const ready = readyInfo.then((info) => info.httpUrl);
  readyInfo.catch(() => undefined);
  ready.catch(() => undefined);
  return { pid: spec.pid, child, ready, readyInfo, exited };
}
