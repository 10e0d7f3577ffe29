/**
 * One replica process of the key-value store. Prints one JSON line `{"ready":true,"http":…,"client":…}`
 * on stdout once it serves HTTP and the native client protocol, then logs nothing unless something goes
 * wrong. A start failure (port in use, unreadable data folder, bad flags) prints `{"error": ...}` on
 * stderr and exits with code 1.
 */
import { readFileSync } from 'node:fs';
import { parseServerArgs } from './args.js';
import { Authenticator } from './auth.js';
import { KvClientServer } from './client-server.js';
import { createHttpApi } from './http-api.js';
import { isLogLevel, stderrLogger } from './kv-logger.js';
import { KvNode } from './kv-node.js';
import { exposureWarning } from './security-args.js';
import { readClientSurfaceTls } from './tls-options.js';

async function main(): Promise<void> {
  const args = parseServerArgs(process.argv.slice(2));
  const self = args.peers[args.pid];
  if (self === undefined) throw new Error('no replication address for this pid');
  const tls = args.tls && { ca: readFileSync(args.tls.ca), cert: readFileSync(args.tls.cert), key: readFileSync(args.tls.key) };
  const { security } = args;
  const access = security.users !== undefined ? Authenticator.fromFile(security.users) : Authenticator.open();
  const clientTls = security.clientTls && readClientSurfaceTls(security.clientTls);
  const surface = { access, limits: security.limits, ...(clientTls ? { tls: clientTls } : {}) };
  const node = await KvNode.start({
    pid: args.pid,
    nodes: args.nodes,
    peers: args.peers,
    listen: self,
    dataDir: args.dataDir,
    // Replication diagnostics as JSON lines on stderr: warnings and errors unless KV_LOG_LEVEL says otherwise.
    logger: stderrLogger(isLogLevel(process.env.KV_LOG_LEVEL) ? process.env.KV_LOG_LEVEL : 'warn', { pid: args.pid }),
    configurationId: args.configurationId,
    joining: args.joining,
    forceNewIdentity: args.forceNewIdentity,
    ...(args.maxDatabaseBytes !== undefined ? { maxDatabaseBytes: args.maxDatabaseBytes } : {}),
    tickMs: args.tickMs,
    ...(tls ? { tls } : {}),
  });
  const api = createHttpApi(node, surface);
  await new Promise<void>((resolve, reject) => {
    api.once('error', (err) => reject(new Error(`HTTP ${args.http.host}:${args.http.port}: ${err.message}`)));
    api.listen(args.http.port, args.http.host, resolve);
  });
  const address = api.address();
  const httpPort = typeof address === 'object' && address !== null ? address.port : args.http.port;
  const clients = new KvClientServer(node, surface);
  const clientPort = await clients.listen(args.client.host, args.client.port);
  node.setAddresses(`${args.http.host}:${httpPort}`, `${args.client.host}:${clientPort}`);
  const warning = exposureWarning(security, [{ name: 'HTTP', ...args.http, port: httpPort }, { name: 'client port', ...args.client, port: clientPort }]);
  if (warning !== undefined) process.stderr.write(`${warning}\n`);
  const ready = {
    ready: true, pid: args.pid, http: `${args.http.host}:${httpPort}`, client: `${args.client.host}:${clientPort}`, tls: tls !== undefined,
    https: clientTls !== undefined, auth: access.enforced,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);

  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    api.close();
    api.closeAllConnections();
    void clients.close();
    await node.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  if (process.env.KV_EXIT_WITH_PARENT === '1') {
    // Started by a launcher or a test harness: follow it down if it dies without stopping us.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void shutdown();
    }, 500).unref();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err) })}\n`);
  process.exit(1);
});
