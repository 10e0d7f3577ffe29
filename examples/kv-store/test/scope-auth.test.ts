import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken, newToken } from '../src/auth.js';
import { KvClient } from '../src/client.js';
import type { ScopeSnapshot } from '../src/scope/scope-model.js';
import { type Scope, startScope } from '../src/scope/scope-server.js';
import { ProcessCluster, eventually } from './cluster-harness.js';

/** The scope against replicas that enforce authentication: it works with an admin token, and says why not with another. */
describe('the scope with authentication on', () => {
  const cluster = new ProcessCluster([1, 2, 3]);
  const tokens = { ops: newToken(), reader: newToken() };
  const dir = mkdtempSync(join(tmpdir(), 'scope-auth-'));
  const scopes: Scope[] = [];
  const snapshot = async (s: Scope): Promise<ScopeSnapshot> => (await fetch(`${s.url}api/snapshot`)).json() as Promise<ScopeSnapshot>;
  const act = (s: Scope, path: string) => fetch(`${s.url}${path.slice(1)}`, { method: 'POST', headers: { 'x-scope': '1' } });
  const start = async (token: string): Promise<Scope> => {
    const scope = await startScope({
      targets: [1, 2, 3].map((pid) => ({ pid, url: cluster.urls.get(pid) ?? '' })),
      credentials: { token },
      clientAddresses: Object.fromEntries(await Promise.all([1, 2, 3].map(async (pid) => {
        const info = await cluster.procs.get(pid)!.readyInfo;
        return [pid, { host: info.clientHost, port: info.clientPort }] as const;
      }))),
      port: 0,
      pollMs: 200,
    });
    scopes.push(scope);
    return scope;
  };

  beforeAll(async () => {
    const users = { users: [{ name: 'ops', tokenSha256: hashToken(tokens.ops), roles: ['admin'] }, { name: 'reader', tokenSha256: hashToken(tokens.reader), roles: ['read'] }] };
    const file = join(dir, 'users.json');
    writeFileSync(file, JSON.stringify(users));
    cluster.serverArgs = ['--users', file];
    await cluster.startAll();
  });

  afterAll(async () => {
    for (const s of scopes) await s.close();
    await cluster.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('with an admin token: shows the leader and the links, cuts a link, drives the workload through the native client', async () => {
    const scope = await start(tokens.ops);
    const first = await eventually('the scope sees a leader', async () => {
      const s = await snapshot(scope);
      if (s.leader === null || s.replicas.some((r) => !r.up)) throw new Error(JSON.stringify(s.replicas));
      return s;
    });
    expect(first.replicas.filter((r) => r.role === 'leader').map((r) => r.pid)).toEqual([first.leader]);
    expect(first.replicas.every((r) => r.quorumConnected)).toBe(true);
    expect((await act(scope, '/api/links/2/3/cut')).status).toBe(200);
    const admin = new KvClient(cluster.urls.get(2) ?? '', 5000, { token: tokens.ops });
    expect((await admin.status()).links['3']).toBe('disabled');
    await eventually('the scope shows the cut', async () => {
      expect((await snapshot(scope)).links.find((l) => l.from === 2 && l.to === 3)?.cut).toBe(true);
    });
    expect((await act(scope, '/api/heal-all')).status).toBe(200);
    expect((await admin.status()).links['3']).not.toBe('disabled');
    expect((await act(scope, '/api/workload/steady')).status).toBe(200);
    await eventually('operations of the workload are counted', async () => {
      expect((await snapshot(scope)).series.some((p) => p.ops > 0)).toBe(true);
    });
    expect((await act(scope, '/api/workload/off')).status).toBe(200);
  });

  it('with a token that is not admin: every replica is shown with the reason, and a cut is refused', async () => {
    const scope = await start(tokens.reader);
    const s = await eventually('the scope polled', async () => {
      const snap = await snapshot(scope);
      if (snap.replicas.length === 0) throw new Error('no poll yet');
      return snap;
    });
    expect(s.replicas.every((r) => !r.up && /admin/.test(r.error ?? ''))).toBe(true);
    const refused = await act(scope, '/api/links/1/2/cut');
    expect(refused.status).toBe(403); // the replica's answer, passed on
    expect(((await refused.json()) as { error: string }).error).toMatch(/403/);
    expect((await act(scope, '/api/replicas/1/kill')).status).toBe(400);
  });
});
