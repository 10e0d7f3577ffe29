// Strict TypeScript against the packed declarations (the ESM side; types.cts checks the CommonJS side).
import { MemoryStorage, OmniPaxos, type Message } from '@omnipaxos/core';
import { createReplica, type Replica } from '@omnipaxos/actors';
import { type RandomRunResult, runRandomFaults } from '@omnipaxos/simulator';
import { SqliteStorage } from '@omnipaxos/storage-sqlite';
import { TcpTransport } from '@omnipaxos/transport-tcp';

const r = new OmniPaxos<string>({ clusterConfig: { configurationId: 1, nodes: [1, 2, 3] }, serverConfig: { pid: 1 } }, new MemoryStorage<string>());
const out: Message<string>[] = r.takeOutgoingMessages();
const run: RandomRunResult = runRandomFaults({ seed: 1 });
export const used: unknown[] = [out, run, createReplica, SqliteStorage, TcpTransport, null as Replica<string> | null];
