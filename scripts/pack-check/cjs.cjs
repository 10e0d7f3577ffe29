// The packed packages through require(): each loads as CommonJS and exposes its main export.
const { MemoryStorage, OmniPaxos } = require('@omnipaxos/core');
const { createReplica } = require('@omnipaxos/actors');
const { runRandomFaults } = require('@omnipaxos/simulator');
const { SqliteStorage } = require('@omnipaxos/storage-sqlite');
const { TcpTransport } = require('@omnipaxos/transport-tcp');

const replica = new OmniPaxos({ clusterConfig: { configurationId: 1, nodes: [1, 2, 3] }, serverConfig: { pid: 1 } }, new MemoryStorage());
replica.tick();
for (const [name, value] of Object.entries({ createReplica, runRandomFaults, SqliteStorage, TcpTransport })) {
  if (typeof value !== 'function') throw new Error(`cjs: ${name} is not exported`);
}
console.log('cjs: ok (every package loads through require)');
