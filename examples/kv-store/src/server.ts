/**
 * One replica process of the key-value store. Prints one JSON line `{"ready":true,...}` on stdout
 * once it serves HTTP, then logs nothing unless something goes wrong.
 */
import { parseServerArgs } from './args.js';
import { createHttpApi } from './http-api.js';
import { KvNode } from './kv-node.js';

const args = parseServerArgs(process.argv.slice(2));
const self = args.peers[args.pid];
if (self === undefined) throw new Error('no replication address for this pid');
const node = await KvNode.start({ pid: args.pid, nodes: args.nodes, peers: args.peers, listen: self, dataDir: args.dataDir });
const api = createHttpApi(node);
await new Promise<void>((resolve) => api.listen(args.http.port, args.http.host, resolve));
const address = api.address();
const httpPort = typeof address === 'object' && address !== null ? address.port : args.http.port;
process.stdout.write(`${JSON.stringify({ ready: true, pid: args.pid, http: `${args.http.host}:${httpPort}` })}\n`);

let stopping = false;
const shutdown = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  api.close();
  api.closeAllConnections();
  await node.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
