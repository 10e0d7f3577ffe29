/**
 * The kv command line: `kv put <key> <value>`, `kv get <key>`, `kv delete <key>`,
 * `kv cas <key> <expected|-> <value|->`, `kv status`, `kv log [from]`, `kv cut <peer>` / `kv heal <peer>`
 * (test hook on the chosen node), `kv reconfigure --nodes 1,2,4 [--peers 4=host:port]` (a new pid's
 * address defaults to 127.0.0.1:7100+pid, the launcher's layout). `--node http://host:port` picks the replica (default: the first of 7201..7203
 * that answers; `KV_NODES` lists others, comma-separated). Credentials: `--token` (or `KV_TOKEN`), and for
 * https URLs `--ca`, `--cert`, `--key` (or `KV_CA`, `KV_CERT`, `KV_KEY`). `kv token <user> <role>...`
 * makes a new token and prints its users-file entry (see docs/security.md).
 * `kv member list | add <pid>=<host:port> | remove <pid>` changes the membership (member-cli.ts).
 */
import { readFileSync } from 'node:fs';
import { flags } from './args.js';
import { KvClient, type KvCredentials } from './client.js';
import { tokenEntry } from './token-tool.js';
import { joinCommand, runMemberCommand, serverCommand } from './member-cli.js';

const argv = process.argv.slice(2);
const f = flags(argv);
const positional = argv.filter((a, i) => !a.startsWith('--') && !(argv[i - 1]?.startsWith('--') ?? false));
const [cmd, key, a, b] = positional;
const candidates = f.get('node')?.split(',') ?? process.env.KV_NODES?.split(',') ?? ['http://127.0.0.1:7201', 'http://127.0.0.1:7202', 'http://127.0.0.1:7203'];
const orNull = (x: string | undefined): string | null => (x === undefined || x === '-' ? null : x);

/** credentials reads `--token --ca --cert --key`, falling back on KV_TOKEN, KV_CA, KV_CERT, KV_KEY. */
function credentials(): KvCredentials {
  const pick = (flag: string, env: string): string | undefined => f.get(flag) ?? process.env[env];
  const file = (flag: string, env: string): Buffer | undefined => {
    const path = pick(flag, env);
    return path === undefined ? undefined : readFileSync(path);
  };
  const token = pick('token', 'KV_TOKEN');
  const ca = file('ca', 'KV_CA');
  const cert = file('cert', 'KV_CERT');
  const key = file('key', 'KV_KEY');
  const tls = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  return { ...(token !== undefined ? { token } : {}), ...(Object.keys(tls).length > 0 ? { tls } : {}) };
}

/** reconfigure moves the cluster to `--nodes`; it prints the command that starts each new replica (`--join --config-id <next>`). */
async function reconfigure(client: KvClient): Promise<unknown> {
  const nodes = (f.get('nodes') ?? '').split(',').filter((x) => x !== '').map(Number);
  if (nodes.length === 0 || nodes.some((p) => !Number.isSafeInteger(p) || p <= 0)) throw new Error('usage: kv reconfigure --nodes 1,2,4 [--peers 4=host:port] [--force]');
  const view = await client.members();
  const peers: Record<number, string> = {};
  for (const p of nodes) if (!view.configuration.nodes.includes(p)) peers[p] = view.peers[p] ?? `127.0.0.1:${7100 + p}`;
  for (const part of f.get('peers')?.split(',') ?? []) {
    const [p, addr] = part.split('=');
    if (p !== undefined && addr !== undefined) peers[Number(p)] = addr;
  }
  const next = view.configuration.configurationId + 1;
  console.error(`proposing configuration ${next} = {${nodes.join(',')}} through ${client.url}${Object.keys(peers).length > 0 ? '; start each new replica with:' : ''}`);
  const contacted = new URL(client.url);
  for (const [p, addr] of Object.entries(peers)) {
    const http = `${contacted.hostname}:${Number(contacted.port) - view.pid + Number(p)}`;
    console.error(`  ${serverCommand(joinCommand(view, Number(p), addr, http, view.dataDir, nodes, peers), view.dataDir)}`);
  }
  return client.reconfigure(nodes, peers, f.has('force') ? { force: true } : {});
}

async function run(client: KvClient): Promise<unknown> {
  switch (cmd) {
    case 'put': return client.put(key ?? '', a ?? '');
    case 'get': return client.get(key ?? '');
    case 'delete': return client.delete(key ?? '');
    case 'cas': return client.cas(key ?? '', orNull(a), orNull(b));
    case 'status': return client.status();
    case 'log': return client.log(Number(key ?? 0));
    case 'reconfigure': return reconfigure(client);
    case 'cut': case 'heal': return client.setLink(Number(key), cmd);
    default:
      throw new Error('usage: kv put <key> <value> | get <key> | delete <key> | cas <key> <expected|-> <value|-> | status | log [from] | cut <peer> | heal <peer> | reconfigure --nodes 1,2,4 [--peers 4=host:port] [--force] | member list | member add <pid>=<host:port> [--spawn] | member remove <pid> | token <user> <role>... [--node url] [--token T] [--ca F --cert F --key F]');
  }
}

if (cmd === 'token') {
  // Local only: no replica is contacted. The token is shown once; the users file keeps only its hash.
  try {
    const { token, entry } = tokenEntry(key ?? '', positional.slice(2));
    console.log(JSON.stringify(entry));
    console.error(`token for ${entry.name} (shown once; give it to the user, put the line above into the users file):\n${token}`);
    process.exit(0);
  } catch (err) {
    console.error(`usage: kv token <user> <role>... (roles: read, write, admin, read:<prefix>, write:<prefix>): ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

let lastError: unknown;
if (cmd === 'member') {
  try {
    await runMemberCommand(positional.slice(1), { candidates, flags: f, credentials: credentials() });
    process.exit(0);
  } catch (err) {
    console.error(`kv member: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

const creds = credentials();
for (const url of candidates) {
  try {
    console.log(JSON.stringify(await run(new KvClient(url, 20_000, creds)), null, 2));
    process.exit(0);
  } catch (err) {
    lastError = err;
    if (err instanceof Error && err.message.startsWith('usage')) break;
    // Refused credentials, and a refused request (bad input, a refused membership change), are the same
    // at every replica: say so now instead of trying the next one.
    if (err instanceof Error && /: 40[0139] /.test(err.message)) break;
  }
}
console.error(String(lastError));
process.exit(1);
