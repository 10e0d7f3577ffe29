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

const USAGE = `usage: kv <command> [flags]

  kv put <key> <value>              set a key
  kv get <key>                      read a key (linearizable: through the log)
  kv delete <key>                   delete a key
  kv cas <key> <expected|-> <value|->   compare-and-set ("-" = absent)
  kv status                         leader, configuration, decided index, links, addresses
  kv log [from]                     decided log entries from index \`from\`
  kv cut <peer> | kv heal <peer>    test hook: cut or heal the chosen replica's link to <peer>
  kv reconfigure --nodes 1,2,4 [--peers 4=host:port] [--force]
  kv member list                    the configuration, leader, addresses, links, the change running
  kv member add <pid>=<host:port> [--spawn] [--http host:port] [--wait S] [--force]
                                    add a replica (prints its start command; --spawn starts it)
  kv member remove <pid> [--force]  remove a replica (each add/remove is one validated reconfiguration)
  kv token <user> <role>...         make a token and its users-file line (local, no replica contacted)
  kv help                           this text (also --help, -h)

flags: --node URL[,URL...] (default: the first of http://127.0.0.1:7201..7203 that answers; or KV_NODES),
       --token T (KV_TOKEN), --ca F --cert F --key F (KV_CA, KV_CERT, KV_KEY) for https URLs

Reads (get, status, log) go to the next replica when one fails. Writes (put, delete, cas, reconfigure,
cut, heal) go to one replica: the next is tried only if the connection could not be made, never after
a replica answered or may have received the request, so a write is never sent twice.
Exit status: 0 on success; 1 on an error or a usage error (no command at all prints this text and exits 1).`;

/** usageError ends the command with a message and the usage, exit 1 (nothing was sent). */
function usageError(message: string): never {
  console.error(`kv: ${message}\n\n${USAGE}`);
  process.exit(1);
}

/** need checks that a command got exactly the arguments it takes before anything is sent. */
function checkArity(): void {
  const args = positional.slice(1);
  const want: Record<string, [number, number, string]> = {
    put: [2, 2, 'kv put <key> <value>'],
    get: [1, 1, 'kv get <key>'],
    delete: [1, 1, 'kv delete <key>'],
    cas: [3, 3, 'kv cas <key> <expected|-> <value|->'],
    status: [0, 0, 'kv status'],
    log: [0, 1, 'kv log [from]'],
    cut: [1, 1, 'kv cut <peer>'],
    heal: [1, 1, 'kv heal <peer>'],
    reconfigure: [0, 0, 'kv reconfigure --nodes 1,2,4 [--peers 4=host:port]'],
  };
  const rule = want[cmd ?? ''];
  if (rule === undefined) usageError(`unknown command ${JSON.stringify(cmd)}`);
  const [min, max, form] = rule;
  if (args.length < min) usageError(`${cmd} needs ${min === 1 ? 'an argument' : `${min} arguments`}: ${form}`);
  if (args.length > max) usageError(`${cmd} takes ${max === 0 ? 'no argument' : `at most ${max}`}: ${form} (quote a value with spaces)`);
  if ((cmd === 'cut' || cmd === 'heal') && !/^\d+$/.test(key ?? '')) usageError(`${cmd} needs a replica id: ${form}`);
  if (cmd === 'log' && key !== undefined && !/^\d+$/.test(key)) usageError(`log takes a log index (a non-negative integer): ${form}`);
}

/** IDEMPOTENT are the commands that may be sent to another replica after one failed in any way. */
const IDEMPOTENT = new Set(['get', 'status', 'log']);

/** connectFailed tells whether a request failed before any replica could have received it. */
function connectFailed(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL'].includes(code);
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
    default: return client.setLink(Number(key), cmd === 'heal' ? 'heal' : 'cut');
  }
}

if (cmd === 'help' || f.has('help') || argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
if (cmd === undefined) {
  console.error(USAGE);
  process.exit(1);
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

checkArity();
const creds = credentials();
const unreachable: string[] = [];
for (const url of candidates) {
  try {
    console.log(JSON.stringify(await run(new KvClient(url, 20_000, creds)), null, 2));
    process.exit(0);
  } catch (err) {
    lastError = err;
    if (err instanceof Error && err.message.startsWith('usage')) break;
    if (connectFailed(err)) {
      unreachable.push(url);
      continue; // nothing reached this replica: any command may go to the next one
    }
    // Refused credentials, and a refused request (bad input, a refused membership change), are the same
    // at every replica: say so now instead of trying the next one.
    if (err instanceof Error && /: 4\d\d /.test(err.message)) break;
    if (!IDEMPOTENT.has(cmd)) {
      console.error(`kv: ${url} failed after it may have received the ${cmd}; not sent to another replica (it may or may not have been applied: read the key to see)`);
      break;
    }
  }
}
if (unreachable.length === candidates.length) {
  const defaults = f.get('node') === undefined && process.env.KV_NODES === undefined;
  console.error(defaults ? 'kv: no replica reachable at 127.0.0.1:7201–7203 — start one with `pnpm start`' : `kv: no replica reachable at ${candidates.join(', ')}`);
  process.exit(1);
}
console.error(`kv: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
process.exit(1);
