/**
 * The kv command line: `kv put <key> <value>`, `kv get <key>`, `kv delete <key>`,
 * `kv cas <key> <expected|-> <value|->`, `kv status`, `kv cut <peer>` / `kv heal <peer>` (test hook on
 * the chosen node). `--node http://host:port` picks the replica (default: the first of 7201..7203
 * that answers; `KV_NODES` lists others, comma-separated).
 */
import { flags } from './args.js';
import { KvClient } from './client.js';

const argv = process.argv.slice(2);
const f = flags(argv);
const positional = argv.filter((a, i) => !a.startsWith('--') && !(argv[i - 1]?.startsWith('--') ?? false));
const [cmd, key, a, b] = positional;
const candidates = f.get('node')?.split(',') ?? process.env.KV_NODES?.split(',') ?? ['http://127.0.0.1:7201', 'http://127.0.0.1:7202', 'http://127.0.0.1:7203'];
const orNull = (x: string | undefined): string | null => (x === undefined || x === '-' ? null : x);

async function run(client: KvClient): Promise<unknown> {
  switch (cmd) {
    case 'put': return client.put(key ?? '', a ?? '');
    case 'get': return client.get(key ?? '');
    case 'delete': return client.delete(key ?? '');
    case 'cas': return client.cas(key ?? '', orNull(a), orNull(b));
    case 'status': return client.status();
    case 'cut': case 'heal': {
      const res = await fetch(`${client.url}/links/${key ?? ''}/${cmd}`, { method: 'POST' });
      return res.json();
    }
    default:
      throw new Error('usage: kv put <key> <value> | get <key> | delete <key> | cas <key> <expected|-> <value|-> | status | cut <peer> | heal <peer> [--node url]');
  }
}

let lastError: unknown;
for (const url of candidates) {
  try {
    console.log(JSON.stringify(await run(new KvClient(url)), null, 2));
    process.exit(0);
  } catch (err) {
    lastError = err;
    if (err instanceof Error && err.message.startsWith('usage')) break;
  }
}
console.error(String(lastError));
process.exit(1);
