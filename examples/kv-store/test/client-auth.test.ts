import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator, hashToken, newToken } from '../src/auth.js';
import { type ClientBackend, KvClientServer } from '../src/client-server.js';
import type { KvCommand, KvResult } from '../src/kv-command.js';
import type { KvStatus } from '../src/kv-node.js';
import { KvState } from '../src/kv-state.js';
import { KvTcpClient, KvTcpError } from '../src/tcp-client.js';

/** A backend without consensus that counts the commands it was asked to run. */
class CountingBackend implements ClientBackend {
  readonly pid = 1;
  readonly state = new KvState();
  readonly executed: KvCommand[] = [];
  async execute(command: KvCommand): Promise<{ idx: number; result: KvResult }> {
    this.executed.push(command);
    const idx = this.state.applied;
    return { idx, result: this.state.apply(command) };
  }
  status(): KvStatus {
    return { pid: 1, leader: 1, ballot: null, configuration: { configurationId: 1, nodes: [1] }, mode: 'running', decidedIdx: this.state.applied, keys: this.state.size, links: {}, transport: { peers: [] } as unknown as KvStatus['transport'] };
  }
}

const code = (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (e: unknown) => (e instanceof KvTcpError ? e.code : String(e)));

describe('the native client protocol enforces authentication and roles (in one process)', () => {
  const tokens = { reader: newToken(), app: newToken(), ops: newToken() };
  const backend = new CountingBackend();
  const server = new KvClientServer(backend, {
    access: Authenticator.fromUsers({
      users: [
        { name: 'reader', tokenSha256: hashToken(tokens.reader), roles: ['read'] },
        { name: 'app', tokenSha256: hashToken(tokens.app), roles: ['write:app/'] },
        { name: 'ops', tokenSha256: hashToken(tokens.ops), roles: ['admin'] },
      ],
    }),
  });
  let port = 0;
  beforeAll(async () => {
    port = await server.listen('127.0.0.1', 0);
  });
  afterAll(() => server.close());

  it('answers unauthenticated until a valid auth, and the refused commands never run', async () => {
    const c = await KvTcpClient.connect('127.0.0.1', port);
    expect(await code(c.put('app/a', '1'))).toBe('unauthenticated');
    expect(await code(c.status())).toBe('unauthenticated');
    expect(await code(c.authenticate('kvt_wrong'))).toBe('unauthenticated');
    expect(await c.authenticate(tokens.app)).toEqual({ user: 'app', roles: ['write:app/'] });
    expect(await code(c.put('app/a', '1'))).toBe('ok');
    expect(backend.executed).toEqual([{ op: 'put', key: 'app/a', value: '1' }]);
    await c.close();
  });

  it('answers forbidden outside the user roles and prefixes, and shows status details only to admins', async () => {
    const reader = await KvTcpClient.connect('127.0.0.1', port, { token: tokens.reader });
    const app = await KvTcpClient.connect('127.0.0.1', port, { token: tokens.app });
    const ops = await KvTcpClient.connect('127.0.0.1', port, { token: tokens.ops });
    const before = backend.executed.length;
    expect(await code(reader.put('app/a', '2'))).toBe('forbidden');
    expect(await code(reader.cas('app/a', '1', '2'))).toBe('forbidden');
    expect(await code(app.delete('other'))).toBe('forbidden');
    expect(await code(app.get('other'))).toBe('forbidden');
    expect(backend.executed.length).toBe(before);
    const err = await reader.delete('app/a').catch((e: unknown) => e);
    expect(err).toMatchObject({ message: 'delete app/a: forbidden: delete "app/a" needs the write role on that key; user "reader" has read' });
    expect(await code(reader.get('app/a'))).toBe('ok');
    expect(Object.keys(await reader.status()).sort()).toEqual(['configuration', 'decidedIdx', 'keys', 'leader', 'mode', 'pid']);
    expect(await ops.status()).toHaveProperty('transport');
    await Promise.all([reader.close(), app.close(), ops.close()]);
  });

  it('refuses to connect with a token that is not valid', async () => {
    await expect(KvTcpClient.connect('127.0.0.1', port, { token: 'kvt_wrong' })).rejects.toMatchObject({ code: 'unauthenticated' });
  });
});
