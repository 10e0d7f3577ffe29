import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TcpTransport } from '@omnipaxos/transport-tcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertFactory, type Pem, opensslAvailable } from '../../../packages/transport-tcp/test/tls-certs.js';
import { hashToken, newToken } from '../src/auth.js';
import { KvClient, type KvCredentials, KvHttpError, type KvLogItem, type KvStatusBody } from '../src/client.js';
import { KvTcpClient, KvTcpError } from '../src/tcp-client.js';
import { ProcessCluster, eventually } from './cluster-harness.js';

/** outcome runs a request and names how it ended: 'ok', an HTTP status, or 'refused' (TLS or connection failure). */
async function outcome(run: () => Promise<unknown>): Promise<'ok' | number | 'refused'> {
  try {
    await run();
    return 'ok';
  } catch (err) {
    return err instanceof KvHttpError ? err.status : 'refused';
  }
}

/** tcpOutcome runs a native-protocol request: 'ok', the error code, or 'refused' (the connection failed). */
async function tcpOutcome(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (err) {
    return err instanceof KvTcpError ? err.code : 'refused';
  }
}

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
const TSX_LOADER = new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** kvCli runs the `kv` CLI with `args` and extra environment variables; resolves with its exit code and output. */
function kvCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', TSX_LOADER, CLI, ...args], { env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

type Transport = { rejectedConnections: number; lastRejection: string | null };

describe.skipIf(!opensslAvailable())('kv-store security: a 3-process cluster with HTTPS, TLS client port, tokens, client certificates and roles', () => {
  const certs = new CertFactory();
  const cluster = new ProcessCluster([1, 2, 3]);
  const tokens = { reader: newToken(), writer: newToken(), app: newToken(), ops: newToken() };
  let clusterCa: Pem;
  let carol: Pem;
  let forgedCarol: Pem;
  const file = (name: string, text: string): string => {
    const path = join(certs.dir, name);
    writeFileSync(path, text);
    return path;
  };
  const http = (pid: number, credentials: KvCredentials = {}): KvClient => new KvClient(cluster.urls.get(pid) ?? '', 20_000, { ...credentials, tls: { ca: clusterCa.cert, ...credentials.tls } });
  const as = (token: string, pid = 1): KvClient => http(pid, { token });
  const native = async (pid: number, options: { token?: string; cert?: Pem } = {}): Promise<KvTcpClient> => {
    const info = await cluster.procs.get(pid)!.readyInfo;
    return KvTcpClient.connect(info.clientHost, info.clientPort, {
      tls: { ca: clusterCa.cert, ...(options.cert ?? {}) }, ...(options.token !== undefined ? { token: options.token } : {}),
    });
  };
  let before: (KvStatusBody & { transport: Transport })[] = [];
  let logBefore: KvLogItem[] = [];
  const adminStatus = (pid: number): Promise<KvStatusBody & { transport: Transport }> => as(tokens.ops, pid).status() as Promise<KvStatusBody & { transport: Transport }>;

  beforeAll(async () => {
    clusterCa = certs.ca('cluster-ca');
    const usersCa = certs.ca('users-ca');
    certs.ca('stranger-ca');
    carol = certs.leaf('carol', 'users-ca');
    forgedCarol = certs.leaf('carol', 'stranger-ca');
    const api = certs.leaf('api-server', 'cluster-ca');
    const ca = file('cluster-ca.pem', clusterCa.cert);
    for (const pid of [1, 2, 3]) {
      const leaf = certs.leaf(`replica-${pid}`, 'cluster-ca', pid);
      cluster.tls.set(pid, { ca, cert: file(`r${pid}.crt.pem`, leaf.cert), key: file(`r${pid}.key.pem`, leaf.key) });
    }
    const users = {
      users: [
        { name: 'reader', tokenSha256: hashToken(tokens.reader), roles: ['read'] },
        { name: 'writer', tokenSha256: hashToken(tokens.writer), roles: ['write'] },
        { name: 'app', tokenSha256: hashToken(tokens.app), roles: ['write:app/'] },
        { name: 'ops', tokenSha256: hashToken(tokens.ops), roles: ['admin'] },
        { name: 'carol', roles: ['admin'] },
      ],
    };
    cluster.serverArgs = ['--users', file('users.json', JSON.stringify(users)), '--client-tls-cert', file('api.crt.pem', api.cert),
      '--client-tls-key', file('api.key.pem', api.key), '--client-tls-ca', file('users-ca.pem', usersCa.cert)];
    await cluster.startAll();
    await eventually('a first write', () => as(tokens.writer, 2).put('app/seed', 'v0'), 30_000);
    // Wait until every replica applied it, then take the log as it is: the refused requests must not change it.
    before = await eventually('all replicas caught up', async () => {
      const statuses = await Promise.all([1, 2, 3].map(adminStatus));
      const idx = statuses.map((s) => s.decidedIdx);
      if (idx.some((i) => i !== idx[0] || i < 1)) throw new Error(`decided ${idx.join(',')}`);
      return statuses;
    });
    logBefore = await as(tokens.ops).log();
  }, 90_000);
  afterAll(async () => {
    await cluster.stopAll();
    certs.dispose();
  });

  it('refuses a stranger: 401 without valid credentials, a TLS failure with a foreign certificate, on HTTP and the native port', async () => {
    // No credentials: 401 on every route, data, admin and status alike.
    const stranger = http(1);
    expect(await outcome(() => stranger.get('app/seed'))).toBe(401);
    expect(await outcome(() => stranger.put('app/seed', 'x'))).toBe(401);
    expect(await outcome(() => stranger.reconfigure([7, 8, 9]))).toBe(401);
    expect(await outcome(() => stranger.setLink(2, 'cut'))).toBe(401);
    expect(await outcome(() => stranger.log())).toBe(401);
    expect(await outcome(() => stranger.status())).toBe(401);
    expect(await outcome(() => as('kvt_not-a-real-token').put('app/seed', 'x'))).toBe(401);
    // Plain HTTP against the HTTPS port gets no answer it could use; a client certificate from another CA fails the TLS handshake.
    expect(await outcome(() => new KvClient((cluster.urls.get(1) ?? '').replace('https:', 'http:')).put('app/seed', 'x'))).not.toBe('ok');
    expect(await outcome(() => http(1, { tls: forgedCarol }).reconfigure([7, 8, 9]))).toBe('refused');
    // The same on the native client port.
    const anonymous = await native(1);
    expect(await tcpOutcome(() => anonymous.put('app/seed', 'x'))).toBe('unauthenticated');
    expect(await tcpOutcome(() => anonymous.get('app/seed'))).toBe('unauthenticated');
    await anonymous.close();
    expect(await tcpOutcome(() => native(2, { token: 'kvt_not-a-real-token' }))).toBe('unauthenticated');
    expect(await tcpOutcome(async () => (await native(2, { cert: forgedCarol })).put('app/seed', 'x'))).toMatch(/refused|closed/);
  }, 60_000);

  it('answers 403 to a reader that writes and to a writer that reconfigures, cuts or heals a link', async () => {
    // A read-role user may not write, on either surface.
    expect(await outcome(() => as(tokens.reader).put('app/seed', 'x'))).toBe(403);
    expect(await outcome(() => as(tokens.reader, 3).delete('app/seed'))).toBe(403);
    expect(await outcome(() => as(tokens.reader).cas('app/seed', 'v0', 'x'))).toBe(403);
    const readerTcp = await native(3, { token: tokens.reader });
    expect(await tcpOutcome(() => readerTcp.put('app/seed', 'x'))).toBe('forbidden');
    await readerTcp.close();

    // A write-role user may not reconfigure, cut or heal links (403), nor see status details.
    expect(await outcome(() => as(tokens.writer).reconfigure([7, 8, 9]))).toBe(403);
    expect(await outcome(() => as(tokens.writer, 2).setLink(1, 'cut'))).toBe(403);
    expect(await outcome(() => as(tokens.writer, 3).setLink(1, 'heal'))).toBe(403);
    const writerTcp = await native(2, { token: tokens.writer });
    expect(Object.keys(await writerTcp.status())).not.toContain('transport');
    await writerTcp.close();
  }, 60_000);

  it('keeps a prefixed writer to its prefix and shows status details only to admins', async () => {
    const summary = await as(tokens.writer).status();
    expect(Object.keys(summary).sort()).toEqual(['configuration', 'decidedIdx', 'keys', 'leader', 'mode', 'pid']);
    // A write grant limited to app/ covers no other key, and not the whole log.
    expect(await outcome(() => as(tokens.app).put('other', 'x'))).toBe(403);
    expect(await outcome(() => as(tokens.app).log())).toBe(403);
    expect(Object.keys(await as(tokens.ops).status())).toEqual(expect.arrayContaining(['ballot', 'links', 'transport']));
  }, 60_000);

  it('refuses a member certificate of pid 4 that dials replicas claiming pid 1', async () => {
    // A member certificate of pid 4 (signed by the cluster CA) dials replicas 2 and 3 claiming pid 1.
    const ports = cluster.specs.get(1)!.replicationPorts;
    const thief = certs.leaf('thief', 'cluster-ca', 4);
    const impostor = new TcpTransport({
      pid: 1, clusterId: 'kv-store', configurationId: 1, listen: { host: '127.0.0.1', port: 0 },
      peers: { 2: { host: '127.0.0.1', port: ports[2] ?? 0 }, 3: { host: '127.0.0.1', port: ports[3] ?? 0 } },
      tls: { ca: clusterCa.cert, ...thief }, backoff: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    impostor.register(1, { deliver: () => undefined });
    await impostor.start();
    try {
      for (const pid of [2, 3]) {
        await eventually(`replica ${pid} refuses the impostor`, async () => {
          const t = (await adminStatus(pid)).transport;
          if (!(t.lastRejection ?? '').includes('certificate is for pid 4, peer claims pid 1')) throw new Error(String(t.lastRejection));
        });
      }
      expect(impostor.linkState(2)).not.toBe('connected');
      expect(impostor.linkState(3)).not.toBe('connected');
    } finally {
      await impostor.close();
    }
  }, 60_000);

  it('changed nothing: the same decided index and log on every replica, configuration 1, every link up; and it keeps serving', async () => {
    // Nothing changed: the same decided index and log everywhere, configuration 1, every link up.
    const after = await Promise.all([1, 2, 3].map(adminStatus));
    expect(after.map((s) => s.decidedIdx)).toEqual(before.map((s) => s.decidedIdx));
    expect(after.map((s) => s.configuration)).toEqual([1, 2, 3].map(() => ({ configurationId: 1, nodes: [1, 2, 3] })));
    for (const s of after) expect(Object.values(s.links)).toEqual(['connected', 'connected']);
    expect(await as(tokens.ops).log()).toEqual(logBefore);
    expect(logBefore.map((l) => l.entry.key)).toEqual(['app/seed']);

    // And it keeps serving those who may: a writer, a prefixed writer, a reader, an admin by client certificate.
    expect((await as(tokens.writer, 3).put('app/after', 'w')).idx).toBeGreaterThan(0);
    expect((await as(tokens.app, 2).put('app/mine', 'm')).idx).toBeGreaterThan(0);
    expect((await as(tokens.reader, 1).get('app/after')).value).toBe('w');
    const carolStatus = await http(2, { tls: carol }).status();
    expect(carolStatus.links).toBeDefined();
    const carolTcp = await native(1, { cert: carol });
    expect((await carolTcp.status()).transport).toBeDefined();
    expect((await carolTcp.put('anything', 'c')).idx).toBeGreaterThan(0);
    await carolTcp.close();
  }, 60_000);

  it('the kv CLI takes its credentials from the environment or from flags', async () => {
    const env = { KV_NODES: cluster.urls.get(1) ?? '', KV_CA: join(certs.dir, 'cluster-ca.pem') };
    const put = await kvCli(['put', 'app/cli', 'from-env'], { ...env, KV_TOKEN: tokens.writer });
    expect(put.code).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ op: 'put', previous: null });
    const refused = await kvCli(['put', 'app/cli', 'reader'], { ...env, KV_TOKEN: tokens.reader });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/403 forbidden: put "app\/cli" needs the write role/);
    const get = await kvCli(['get', 'app/cli', '--token', tokens.reader], env);
    expect(JSON.parse(get.stdout)).toMatchObject({ op: 'get', value: 'from-env' });
  }, 60_000);
});
