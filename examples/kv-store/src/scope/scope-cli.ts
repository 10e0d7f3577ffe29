/**
 * `pnpm --filter @omnipaxos/example-kv-store scope --replicas 1=http://10.0.0.1:7201,2=http://10.0.0.2:7201,...`
 * serves the scope for replicas started by hand. Optional: `--clients 1=10.0.0.1:7301,...` (native
 * client addresses for the workload; HTTP otherwise), `--token T` (an admin token when the replicas
 * enforce authentication; or the KV_TOKEN environment variable), `--host 127.0.0.1 --port 7200`.
 */
import { flags, parseAddress } from '../args.js';
import { KvClient } from '../client.js';
import type { ClientAddress } from './scope-workload.js';
import { startScope } from './scope-server.js';

function fail(message: string): never {
  console.error(`scope: ${message}`);
  process.exit(1);
}

const f = flags(process.argv.slice(2));
const token = f.get('token') ?? process.env.KV_TOKEN;
const credentials = token !== undefined ? { token } : {};
const list = (name: string) => (f.get(name) ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
const replicas = list('replicas');
if (replicas.length === 0) fail('--replicas pid=http://host:port,... (or plain URLs) is required');
const targets = await Promise.all(
  replicas.map(async (item) => {
    const eq = item.indexOf('=');
    if (eq > 0) return { pid: Number(item.slice(0, eq)), url: item.slice(eq + 1).replace(/\/$/, '') };
    const url = item.replace(/\/$/, '');
    const status = await new KvClient(url, 3000, credentials).status().catch((err: unknown) => fail(`${url}/status: ${String(err)}`));
    return { pid: status.pid, url };
  }),
);
if (targets.some((t) => !Number.isSafeInteger(t.pid) || t.pid <= 0)) fail('replica pids must be positive integers');
const clientAddresses: Record<number, ClientAddress> = {};
for (const item of list('clients')) {
  const eq = item.indexOf('=');
  if (eq <= 0) fail(`--clients takes pid=host:port, got ${item}`);
  clientAddresses[Number(item.slice(0, eq))] = parseAddress(item.slice(eq + 1));
}
const scope = await startScope({ targets, credentials, clientAddresses, host: f.get('host') ?? '127.0.0.1', port: Number(f.get('port') ?? 7200) })
  .catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
console.log(`scope for ${targets.map((t) => `${t.pid}=${t.url}`).join(', ')}: ${scope.url}`);
const stop = () => void scope.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
