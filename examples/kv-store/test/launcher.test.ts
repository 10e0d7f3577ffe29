import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { scaled } from './cluster-harness.js';
import { firstBusyPort } from '../src/launch-support.js';

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

/** launch runs `pnpm start`'s script without a terminal on stdin, as CI would; resolves with its exit code and output. */
function launch(cwd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, LAUNCH, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG, INIT_CWD: cwd },
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.once('exit', (code) => {
    clearTimeout(timer);
    resolve({ code, out });
  }));
}

describe('kv-store: pnpm start without a terminal', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'kv-launch-'));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('creates its data folder, runs the workload, prints the summary and exits 0 by itself', async () => {
    const [base, http] = [await freeBase(3), await freeBase(3)];
    // Three earlier runs' folders: with this run's, the last three are kept.
    for (const old of ['run-20000101-000000-1', 'run-20000102-000000-1', 'run-20000103-000000-1']) mkdirSync(join(cwd, 'data', old), { recursive: true });
    const { code, out } = await launch(cwd, ['--ops', '40', '--seq-ops', '10', '--base-port', String(base), '--http-base-port', String(http)]);
    expect(out).toContain('a fresh folder for this run');
    // Every replica's HTTP URL and native client address; the write hint names a replica that follows.
    expect(out.match(/replica \d( \(leader\))?: HTTP http:\/\/127\.0\.0\.1:\d+, native client 127\.0\.0\.1:\d+/g)).toHaveLength(3);
    const leader = /cluster up, leader (\d)/.exec(out)?.[1];
    const follower = /through a follower \(replica (\d)\)/.exec(out)?.[1];
    expect(follower).toBeDefined();
    expect(follower).not.toBe(leader);
    expect(out).toContain('not interactive (stdin is not a terminal): stopping the cluster');
    expect(out).toMatch(/summary, 8 concurrent : 40 operations \(0 failed\)/);
    expect(out).toContain('stopping the cluster');
    expect(code).toBe(0);
    const runs = readdirSync(join(cwd, 'data')).filter((n) => n.startsWith('run-')).sort();
    expect(runs).toHaveLength(3);
    expect(runs.slice(0, 2)).toEqual(['run-20000102-000000-1', 'run-20000103-000000-1']);
  }, scaled(70_000));

  it('exits 1 with a message when a port is in use', async () => {
    const base = await freeBase(3);
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(base + 1, '127.0.0.1', r));
    try {
      const { code, out } = await launch(cwd, ['--base-port', String(base), '--http-base-port', String(await freeBase(3))]);
      expect(code).toBe(1);
      expect(out).toContain(`port ${base + 1} on 127.0.0.1 is in use`);
    } finally {
      blocker.close();
    }
  }, scaled(30_000));
});
