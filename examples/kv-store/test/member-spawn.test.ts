import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { flags } from '../src/args.js';
import { KvClient } from '../src/client.js';
import { firstBusyPort } from '../src/launch-support.js';
import { loadMembership } from '../src/membership-record.js';
import { runMemberCommand } from '../src/member-cli.js';
import { eventually } from './cluster-harness.js';

const LAUNCH = fileURLToPath(new URL('../src/launch.ts', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
const TSX_LOADER = new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** freeBase finds `n` consecutive free ports below the ephemeral range. */
async function freeBase(n: number): Promise<number> {
  for (;;) {
    const base = 21_000 + Math.floor(Math.random() * 10_000);
    if ((await firstBusyPort(Array.from({ length: n }, (_, i) => base + i))) === undefined) return base;
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('kv-store: pnpm start --nodes 1, then kv member add --spawn', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kv-spawn-'));
  const spawned: number[] = [];
  afterAll(() => {
    for (const p of spawned) if (alive(p)) process.kill(p, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('grows a one-replica store with a replica the CLI starts, and Ctrl-C on the launcher stops both', async () => {
    const repl = await freeBase(2);
    const http = await freeBase(2);
    const launcher = spawn(process.execPath, ['--import', TSX_LOADER, LAUNCH, '--nodes', '1', '--serve', '--ops', '10', '--seq-ops', '5',
      '--base-port', String(repl), '--http-base-port', String(http), '--data', join(dir, 'data')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG },
    });
    const exited = new Promise<number | null>((resolve) => launcher.once('exit', resolve));
    let text = '';
    launcher.stderr.on('data', (c: Buffer) => (text += c.toString()));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: launcher.stdout }).on('line', (line) => {
        text += `${line}\n`;
        if (line.startsWith('serving;')) resolve();
      });
      void exited.then(() => reject(new Error(`the launcher exited: ${text}`)));
    });
    expect(text).toContain('starting 1 replica;');
    expect(text).toMatch(/summary, 8 concurrent : 10 operations \(0 failed\)/);

    const url = `http://127.0.0.1:${http}`;
    const argv = ['member', 'add', `2=127.0.0.1:${repl + 1}`, '--spawn'];
    const lines: string[] = [];
    await runMemberCommand(['add', `2=127.0.0.1:${repl + 1}`], { candidates: [url], flags: flags(argv), out: (l) => lines.push(l) });
    const started = /^started replica 2 \(process (\d+): stop it with kill \1;/.exec(lines[1] ?? '');
    expect(started, lines.join('\n')).not.toBeNull();
    const child = Number(started?.[1]);
    spawned.push(child);
    expect(lines[2]).toContain(`server --pid 2 --nodes 1,2 --config-id 2 --join --peers 1=127.0.0.1:${repl},2=127.0.0.1:${repl + 1} --http 127.0.0.1:${http + 1}`);
    expect(lines).toContain('configuration 2 = {1,2} decided');
    expect(lines.at(-1)).toMatch(/^catch-up of replica 2 \[#+\] (\d+)\/\1 log positions from \{1\}$/);
    await eventually('a write through the new replica', () => new KvClient(`http://127.0.0.1:${http + 1}`).put('grown', 'yes'));
    expect(loadMembership(join(dir, 'data'), 2)?.process).toBe(child);

    launcher.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(text).toContain(`stopped replica 2 (process ${child}, added with kv member add --spawn)`);
    await eventually('the added replica stopped', async () => {
      if (alive(child)) throw new Error('still running');
    });
  });
});
