import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replicationPort, scaled } from './cluster-harness.js';

const KV = fileURLToPath(new URL('../bin/kv.mjs', import.meta.url));

/** kv runs the `kv` bin with `args`; resolves with its exit code, stdout and stderr. */
function kv(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [KV, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out, err })));
}

describe('kv CLI: usage and errors before anything is sent', () => {
  it('prints the usage and exits 0 for help, --help and -h', async () => {
    for (const args of [['help'], ['--help'], ['-h']]) {
      const r = await kv(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.out).toMatch(/^usage: kv <command>/);
      expect(r.out).toContain('never after');
    }
  }, scaled(60_000));

  it('prints the usage and exits 1 without a command', async () => {
    const r = await kv([]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^usage: kv <command>/);
  }, scaled(30_000));

  it('refuses missing arguments: put without a value, get without a key, an unknown command', async () => {
    const cases: [string[], RegExp][] = [
      [['put', 'onlykey'], /put needs 2 arguments: kv put <key> <value>/],
      [['get'], /get needs an argument: kv get <key>/],
      [['cas', 'k', 'v'], /cas needs 3 arguments/],
      [['frob'], /unknown command "frob"/],
      [['cut', 'x'], /cut needs a replica id/],
    ];
    for (const [args, message] of cases) {
      const r = await kv(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err).toMatch(message);
    }
  }, scaled(60_000));

  it('says that no replica is reachable, and where, when none answers', async () => {
    const port = await replicationPort(); // free: nothing listens there
    const r = await kv(['get', 'k'], { KV_NODES: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`no replica reachable at http://127.0.0.1:${port}`);
  }, scaled(30_000));

  it('sends a write to one replica only once it answered, but a read on to the next one', async () => {
    // First replica: answers 503 to everything. Second: counts what reaches it and answers like a replica.
    const seen: string[] = [];
    const failing = http.createServer((_req, res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"not decided"}'));
    const counting = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"idx":1,"op":"get","value":"v"}');
    });
    const listen = (s: http.Server) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as { port: number }).port)));
    const nodes = `http://127.0.0.1:${await listen(failing)},http://127.0.0.1:${await listen(counting)}`;
    try {
      const put = await kv(['put', 'k', 'v'], { KV_NODES: nodes });
      expect(put.code).toBe(1);
      expect(put.err).toMatch(/not sent to another replica/);
      expect(seen).toEqual([]);
      const get = await kv(['get', 'k'], { KV_NODES: nodes });
      expect(get.code).toBe(0);
      expect(seen).toEqual(['GET /kv/k']);
    } finally {
      failing.close();
      counting.close();
    }
  }, scaled(60_000));
});
