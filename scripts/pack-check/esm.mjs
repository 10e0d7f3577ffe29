// The packed packages as an ES-module user sees them: three core replicas decide an entry, and every
// other package loads and exposes its main export.
import { MemoryStorage, OmniPaxos } from '@omnipaxos/core';
import { createReplica, Router } from '@omnipaxos/actors';
import { runRandomFaults } from '@omnipaxos/simulator';
import { SqliteStorage } from '@omnipaxos/storage-sqlite';
import { TcpTransport } from '@omnipaxos/transport-tcp';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const nodes = [1, 2, 3];
const replicas = new Map(
  nodes.map((pid) => [pid, new OmniPaxos({ clusterConfig: { configurationId: 1, nodes }, serverConfig: { pid } }, new MemoryStorage())]),
);
const step = () => {
  const out = [];
  for (const r of replicas.values()) {
    r.tick();
    out.push(...r.takeOutgoingMessages());
  }
  for (const m of out) replicas.get(m.to)?.handleIncoming(m);
};
for (let i = 0; i < 50; i++) step();
replicas.get(2).append('hello');
for (let i = 0; i < 5; i++) step();
const decided = replicas.get(3).readDecidedSuffix(0);
if (decided?.[0]?.entry !== 'hello') throw new Error(`esm: expected 'hello' decided, got ${JSON.stringify(decided)}`);

const dir = mkdtempSync(join(tmpdir(), 'omnipaxos-pack-'));
try {
  const storage = SqliteStorage.open({ path: join(dir, 'r.sqlite'), clusterId: 'pack', pid: 1 });
  await storage.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
for (const [name, value] of Object.entries({ createReplica, Router, runRandomFaults, TcpTransport })) {
  if (typeof value !== 'function') throw new Error(`esm: ${name} is not exported`);
}
console.log('esm: ok (decided "hello"; every package loads)');
