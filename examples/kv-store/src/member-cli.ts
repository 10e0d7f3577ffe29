/**
 * `kv member list | add <pid>=<host:port> | remove <pid>`: the membership CLI. Each add or remove is one
 * validated reconfiguration through a running member; an add prints the exact command that starts the
 * new replica (`--spawn` starts it, detached, logging to its data folder) and then its catch-up
 * progress (the `omnipaxos.catchUp` events the new replica reports in `GET /members`).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAddress } from './args.js';
import { KvClient, type KvCredentials, type KvMembersBody, type KvReconfigureAnswer } from './client.js';
import { progressBar } from './workload.js';

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
const TSX_LOADER = new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

const USAGE =
  'usage: kv member list | kv member add <pid>=<host:port> [--http host:port] [--spawn] [--wait SECONDS] [--force] | kv member remove <pid> [--force]';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const show = (nodes: readonly number[]): string => `{${nodes.join(',')}}`;

/** serverCommand renders a replica command line as the user types it (data folder relative to here). */
export function serverCommand(args: string[], dataDir: string): string {
  return ['pnpm', '--filter', '@omnipaxos/example-kv-store', 'server', ...args.map((a) => (a === dataDir ? relative(process.cwd(), dataDir) || '.' : a))].join(' ');
}

/** MemberCliOptions are the flags of `kv member`. */
export interface MemberCliOptions {
  /** Replica URLs to try, in order: the first running member is used. */
  candidates: string[];
  flags: Map<string, string>;
  /** Token or client certificate for the admin role (see docs/security.md). */
  credentials?: KvCredentials;
  /** Prints one line (console.log by default). */
  out?: (line: string) => void;
}

/** pickMember returns a client of the first candidate that is a running member, and its view. */
async function pickMember(candidates: string[], timeoutMs: number, credentials: KvCredentials = {}): Promise<{ client: KvClient; view: KvMembersBody }> {
  const seen: string[] = [];
  for (const url of candidates) {
    const client = new KvClient(url, timeoutMs, credentials);
    try {
      const view = await client.members();
      if (view.mode === 'running') return { client, view };
      seen.push(`${url}: replica ${view.pid} is ${view.mode}`);
    } catch (err) {
      seen.push(`${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new Error(`no running member answered (${seen.join('; ')}); pick one with --node http://host:port`);
}

/** joinCommand is the exact command that starts replica `pid` as a joiner of the next configuration (default: the current one plus `pid`). */
export function joinCommand(
  view: KvMembersBody,
  pid: number,
  address: string,
  http: string,
  dataDir: string,
  next: number[] = [...view.configuration.nodes, pid],
  newPeers: Record<number, string> = { [pid]: address },
): string[] {
  const nodes = [...next].sort((a, b) => a - b);
  const peers = { ...view.peers, ...newPeers };
  const peerList = Object.entries(peers)
    .filter(([p]) => nodes.includes(Number(p)))
    .map(([p, a]) => `${p}=${a}`)
    .join(',');
  return ['--pid', String(pid), '--nodes', nodes.join(','), '--config-id', String(view.configuration.configurationId + 1), '--join',
    '--peers', peerList, '--http', http, '--data', dataDir];
}

/** spawnDetached starts a replica process that outlives this CLI; its output goes to `<dataDir>/replica-<pid>.log`. */
function spawnDetached(args: string[], dataDir: string, pid: number): { log: string; pidOfProcess: number | undefined } {
  mkdirSync(dataDir, { recursive: true });
  const log = join(dataDir, `replica-${pid}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, ['--import', TSX_LOADER, SERVER, ...args], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG },
  });
  child.unref();
  closeSync(fd);
  return { log, pidOfProcess: child.pid };
}

function describe(answer: KvReconfigureAnswer): string {
  const { proposed } = answer;
  return answer.decided
    ? `configuration ${proposed.configurationId} = ${show(proposed.nodes)} decided`
    : `configuration ${proposed.configurationId} = ${show(proposed.nodes)} proposed, not decided yet (check with kv member list)`;
}

/** showProgress polls the new replica's catch-up and draws it as a progress bar until it completed. */
async function showProgress(url: string, pid: number, out: (line: string) => void, credentials: KvCredentials = {}): Promise<void> {
  const client = new KvClient(url, 5000, credentials);
  const tty = process.stdout.isTTY === true;
  let lastError = '';
  let failingSince: number | undefined;
  for (;;) {
    let view: KvMembersBody | undefined;
    try {
      view = await client.members();
      failingSince = undefined;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      failingSince ??= Date.now();
      if (Date.now() - failingSince > 30_000) throw new Error(`replica ${pid} at ${url} stopped answering: ${lastError}`);
    }
    const c = view?.catchUp;
    if (c) {
      const line = `catch-up of replica ${pid} ${progressBar(c.received, c.total)} log positions from ${show(c.sources)}`;
      if (tty) process.stdout.write(`\r${line}`);
      if (c.completed) {
        if (tty) process.stdout.write('\n');
        else out(line);
        break;
      }
    } else if (view?.mode === 'running') {
      out(`catch-up of replica ${pid}: nothing to pull`);
      break;
    }
    await sleep(100);
  }
}

/** waitForLeader waits until `client`'s replica follows a leader (the new configuration serves). */
async function waitForLeader(client: KvClient): Promise<KvMembersBody | undefined> {
  for (let i = 0; i < 300; i++) {
    const view = await client.members().catch(() => undefined);
    if (view?.mode === 'running' && view.leader !== null && view.configuration.nodes.includes(view.leader)) return view;
    if (view && view.mode !== 'running') return undefined;
    await sleep(100);
  }
  return undefined;
}

/** runMemberCommand runs `kv member <sub> ...`; throws with a clear message when refused. */
export async function runMemberCommand(positional: string[], o: MemberCliOptions): Promise<void> {
  const out = o.out ?? ((line: string) => console.log(line));
  const [sub, arg] = positional;
  const force = o.flags.has('force');
  if (sub === 'list') {
    const { view } = await pickMember(o.candidates, 20_000, o.credentials);
    out(`configuration ${view.configuration.configurationId}: ${show(view.configuration.nodes)}, leader ${view.leader ?? 'none'} (as replica ${view.pid} sees it)`);
    for (const p of view.configuration.nodes) {
      const link = p === view.pid ? 'this replica' : (view.links[p] ?? 'unknown');
      out(`  replica ${p}  ${view.peers[p] ?? '(address unknown)'}  ${link}`);
    }
    out(view.change ? `membership change running: to configuration ${view.change.target} = ${show(view.change.nodes)} through replica ${view.change.by}` : 'no membership change running');
    return;
  }
  if (sub === 'add') {
    const m = /^(\d+)=(.+)$/.exec(arg ?? '');
    if (!m) throw new Error(USAGE);
    const pid = Number(m[1]);
    const address = m[2] as string;
    try {
      parseAddress(address);
    } catch {
      throw new Error(`not host:port: ${address}`);
    }
    const spawnIt = o.flags.has('spawn');
    const wait = Number(o.flags.get('wait') ?? (spawnIt ? 30 : 120));
    if (!(wait > 0)) throw new Error('--wait must be a positive number of seconds');
    const { client, view } = await pickMember(o.candidates, (wait + 60) * 1000, o.credentials);
    // By default the new replica's HTTP port follows the contacted replica's layout (the launcher's: base + pid).
    const contacted = new URL(client.url);
    const http = o.flags.get('http') ?? `${contacted.hostname}:${Number(contacted.port) - view.pid + pid}`;
    const dataDir = o.flags.get('data') ?? view.dataDir;
    const args = joinCommand(view, pid, address, http, dataDir);
    const shown = serverCommand(args, dataDir);
    out(`adding replica ${pid} at ${address} to configuration ${view.configuration.configurationId} = ${show(view.configuration.nodes)} through ${client.url}`);
    if (spawnIt) {
      const { log, pidOfProcess } = spawnDetached(args, dataDir, pid);
      out(`started replica ${pid} (process ${pidOfProcess ?? '?'}: stop it with kill ${pidOfProcess ?? '<pid>'}; log ${relative(process.cwd(), log)}):`);
      out(`  ${shown}`);
    } else {
      out(`start replica ${pid} with (waiting up to ${wait} s for it to answer at ${address}):`);
      out(`  ${shown}`);
    }
    const answer = await client.addMember(pid, address, { waitMs: wait * 1000, force });
    out(describe(answer));
    if (answer.decided) await showProgress(`${contacted.protocol}//${http}`, pid, out, o.credentials);
    return;
  }
  if (sub === 'remove') {
    const pid = Number(arg);
    if (!Number.isSafeInteger(pid) || pid <= 0) throw new Error(USAGE);
    const { client, view } = await pickMember(o.candidates, 60_000, o.credentials);
    out(`removing replica ${pid} from configuration ${view.configuration.configurationId} = ${show(view.configuration.nodes)} through ${client.url}`);
    const answer = await client.removeMember(pid, { force });
    out(describe(answer));
    out('catch-up: no new replica to catch up');
    if (answer.decided) {
      const after = answer.mode === 'running' ? await waitForLeader(client) : undefined;
      if (after) out(`configuration ${after.configuration.configurationId} = ${show(after.configuration.nodes)} serves, leader ${after.leader ?? 'none'}`);
      else out(`replica ${view.pid} (which ran the change) retired; ask another member for the new leader`);
    }
    return;
  }
  throw new Error(USAGE);
}
