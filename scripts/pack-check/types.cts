// Strict TypeScript against the packed CommonJS declarations (.d.cts).
import { MemoryStorage, OmniPaxos } from '@omnipaxos/core';
import { createReplica } from '@omnipaxos/actors';
import { SqliteStorage } from '@omnipaxos/storage-sqlite';
import { TcpTransport } from '@omnipaxos/transport-tcp';

const r = new OmniPaxos<number>({ clusterConfig: { configurationId: 1, nodes: [1, 2, 3] }, serverConfig: { pid: 1 } }, new MemoryStorage<number>());
export const used: unknown[] = [r.getDecidedIdx(), createReplica, SqliteStorage, TcpTransport];
