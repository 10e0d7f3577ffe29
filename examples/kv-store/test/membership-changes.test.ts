import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { flags } from '../src/args.js';
import { runMemberCommand } from '../src/member-cli.js';
import { ProcessCluster, eventually } from './cluster-harness.js';

const LAUNCH = fileURLToPath(new URL('../src/launch.ts', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
const TSX_LOADER = new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** member runs `kv member ...` in-process against `urls` (flags parsed as the CLI does) and returns what it printed. */
async function member(urls: string[], ...argv: string[]): Promise<string[]> {
  const lines: string[] = [];
  const positional = argv.filter((a, i) => !a.startsWith('--') && !(argv[i - 1]?.startsWith('--') ?? false));
  await runMemberCommand(positional.slice(1), { candidates: urls, flags: flags(argv), out: (l) => lines.push(l) });
  return lines;
}

/** leaderIn waits until replica `pid` follows a leader of `nodes` in configuration `configurationId`. */
async function leaderIn(c: ProcessCluster, pid: number, configurationId: number, nodes: number[]): Promise<number> {
  return eventually(`replica ${pid} follows a leader of configuration ${configurationId}`, async () => {
    const s = await c.client(pid).status();
    if (s.configuration.configurationId !== configurationId || s.leader === null || !nodes.includes(s.leader)) throw new Error(JSON.stringify(s));
    return s.leader;
  });
}

describe('kv-store: start with one replica, grow and shrink with kv member, resume as left', () => {
  const cluster = new ProcessCluster([1]);
  afterAll(() => cluster.stopAll());
  const written = new Map<string, string>();
  const put = async (pid: number, key: string): Promise<void> => {
    await eventually(`put ${key} through ${pid}`, () => cluster.client(pid).put(key, `v-${key}`));
    written.set(key, `v-${key}`);
  };

  it('grows 1 → 2 → 3 with kv member add, each new replica pulling the log', async () => {
    await cluster.startAll();
    await leaderIn(cluster, 1, 1, [1]);
    for (let i = 0; i < 20; i++) await put(1, `one-${i}`);
    for (const [pid, nodes, id] of [[2, [1, 2], 2], [3, [1, 2, 3], 3]] as const) {
      await cluster.addJoining(pid, [...nodes], id);
      const http = (cluster.urls.get(pid) ?? '').replace('http://', '');
      const address = `127.0.0.1:${cluster.specs.get(pid)?.replicationPorts[pid]}`;
      const out = await member([cluster.urls.get(1) ?? ''], 'member', 'add', `${pid}=${address}`, '--http', http);
      expect(out[1]).toMatch(new RegExp(`^start replica ${pid} with`));
      expect(out[2]).toContain(`server --pid ${pid} --nodes ${nodes.join(',')} --config-id ${id} --join --peers `);
      expect(out).toContain(`configuration ${id} = {${nodes.join(',')}} decided`);
      expect(out.at(-1)).toMatch(new RegExp(`^catch-up of replica ${pid} \\[#+\\] (\\d+)/\\1 log positions from \\{`));
      await leaderIn(cluster, pid, id, [...nodes]);
      for (let i = 0; i < 5; i++) await put(pid, `grown-${id}-${i}`);
    }
    const list = await member([cluster.urls.get(3) ?? ''], 'member', 'list');
    expect(list[0]).toMatch(/^configuration 3: \{1,2,3\}, leader \d/);
    expect(list.at(-1)).toBe('no membership change running');
    for (const [k, v] of written) expect((await cluster.client(3).get(k)).value).toBe(v);
  });

  it('removes a replica that is down, refusing first a change that would leave no reachable quorum', async () => {
    await cluster.kill(3);
    await expect(member([cluster.urls.get(1) ?? ''], 'member', 'remove', '2')).rejects.toThrow(/only 1 of the next configuration \{1,3\} would be reachable \(\{3\} is down\), not a quorum/);
    const out = await member([cluster.urls.get(1) ?? ''], 'member', 'remove', '3');
    expect(out).toContain('configuration 4 = {1,2} decided');
    expect(out.at(-1)).toMatch(/^configuration 4 = \{1,2\} serves, leader [12]$/);
    await put(2, 'after-removing-3');
  });

  it('removes the leader through the leader itself: it retires, the other one serves alone', async () => {
    const leader = await leaderIn(cluster, 1, 4, [1, 2]);
    const other = leader === 1 ? 2 : 1;
    const out = await member([cluster.urls.get(leader) ?? ''], 'member', 'remove', String(leader));
    expect(out).toContain(`configuration 5 = {${other}} decided`);
    await eventually('the old leader retired', async () => {
      if ((await cluster.client(leader).status()).mode !== 'retired') throw new Error('not yet');
    });
    await leaderIn(cluster, other, 5, [other]);
    await put(other, 'alone');
    for (const [k, v] of written) expect((await cluster.client(other).get(k)).value).toBe(v);
  });

  it('resumes the current configuration: each replica restarted with its first command line, then pnpm start --data', async () => {
    // The retired replica still shows the configuration that ended without it (mode retired): ask the member.
    const views = await Promise.all([1, 2].map((p) => cluster.client(p).members()));
    const [only] = views.find((v) => v.mode === 'running')?.configuration.nodes ?? [];
    expect(views.find((v) => v.mode === 'retired')?.configuration.configurationId).toBe(4);
    if (only === undefined) throw new Error('no member');
    for (const p of [1, 2]) await cluster.kill(p);
    // A restart with the flags it was first started with (configuration 1 or 2) resumes configuration 5.
    await cluster.start(only);
    await leaderIn(cluster, only, 5, [only]);
    expect((await cluster.client(only).status()).configuration).toEqual({ configurationId: 5, nodes: [only] });
    for (const [k, v] of written) expect((await cluster.client(only).get(k)).value).toBe(v);
    await cluster.kill(only);

    // pnpm start --data DIR: the launcher starts the members of configuration 5 only, on their recorded ports.
    const child = spawn(process.execPath, ['--import', TSX_LOADER, LAUNCH, '--data', cluster.dataDir, '--exit', '--ops', '20', '--seq-ops', '5'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG },
    });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr.on('data', (c: Buffer) => (text += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(text).toContain(`resuming configuration 5 = {${only}} as it was left`);
    expect(text).toMatch(/summary, 8 concurrent : 20 operations \(0 failed\)/);
    expect(code).toBe(0);
  });
});
