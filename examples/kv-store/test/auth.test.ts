import { describe, expect, it } from 'vitest';
import { Authenticator, hashToken, isDenied, newToken } from '../src/auth.js';
import { classifyHttpRequest } from '../src/http-access.js';
import { type Principal, authorize, parseGrant, statusView } from '../src/roles.js';
import { exposureWarning, parseSecurityArgs } from '../src/security-args.js';
import { flags } from '../src/args.js';
import { tokenEntry } from '../src/token-tool.js';

const tokens = { reader: newToken(), writer: newToken(), app: newToken(), ops: newToken() };
const access = Authenticator.fromUsers({
  users: [
    { name: 'reader', tokenSha256: hashToken(tokens.reader), roles: ['read'] },
    { name: 'writer', tokenSha256: hashToken(tokens.writer), roles: ['write'] },
    { name: 'app', tokenSha256: hashToken(tokens.app), roles: ['write:app/', 'read:shared/'] },
    { name: 'ops', tokenSha256: hashToken(tokens.ops), roles: ['admin'] },
    { name: 'carol', roles: ['admin'] },
  ],
});
const who = (token: string): Principal => {
  const p = access.authenticate({ token });
  if (isDenied(p)) throw new Error(p.error);
  return p;
};

describe('authentication', () => {
  it('finds the user of a token by its hash and refuses an unknown or missing token', () => {
    expect(who(tokens.writer).user).toBe('writer');
    expect(access.authenticate({ token: `${tokens.writer}x` })).toEqual({ code: 'unauthenticated', error: 'unauthenticated: the bearer token is not valid' });
    expect(access.authenticate({})).toMatchObject({ code: 'unauthenticated' });
  });

  it('lets a verified certificate stand for the user its CN names, and only for a known user', () => {
    expect(access.authenticate({ certificateName: 'carol' })).toMatchObject({ user: 'carol', via: 'certificate' });
    expect(access.authenticate({ certificateName: 'mallory' })).toMatchObject({ code: 'unauthenticated', error: expect.stringContaining('mallory') });
  });

  it('lets everyone in as admin when no users file is given', () => {
    const open = Authenticator.open();
    expect(open.enforced).toBe(false);
    expect(open.authenticate({})).toMatchObject({ user: 'anyone', grants: [{ role: 'admin' }] });
  });

  it('refuses a malformed users file with a message naming the entry', () => {
    expect(() => Authenticator.fromUsers({ users: [{ name: 'a', roles: ['root'] }] })).toThrow(/users\[0\]\.roles: unknown role "root"/);
    expect(() => Authenticator.fromUsers({ users: [{ name: 'a', tokenSha256: 'abc', roles: ['read'] }] })).toThrow(/tokenSha256 must be 64/);
    expect(() => Authenticator.fromUsers({ users: [{ name: 'a', roles: ['admin:x/'] }] })).toThrow(/admin is global/);
    expect(() => Authenticator.fromUsers({ users: [{ name: 'a', roles: ['read'] }, { name: 'a', roles: ['read'] }] })).toThrow(/appears twice/);
    expect(() => Authenticator.fromUsers([])).toThrow(/must be \{"users"/);
  });

  it('kv token makes a token whose entry admits it and stores only its hash', () => {
    const { token, entry } = tokenEntry('dora', ['read:logs/']);
    expect(token.startsWith('kvt_')).toBe(true);
    expect(JSON.stringify(entry)).not.toContain(token);
    const p = Authenticator.fromUsers({ users: [entry] }).authenticate({ token });
    expect(p).toMatchObject({ user: 'dora', grants: [{ role: 'read', prefix: 'logs/' }] });
    expect(() => tokenEntry('dora', ['superuser'])).toThrow(/unknown role/);
  });
});

describe('authorization', () => {
  it('read may get and read the log; write may also put, delete and cas; only admin may reconfigure or cut links', () => {
    const get = classifyHttpRequest('GET', '/kv/a');
    const put = classifyHttpRequest('PUT', '/kv/a');
    const del = classifyHttpRequest('DELETE', '/kv/a');
    const cas = classifyHttpRequest('POST', '/kv/a/cas');
    const log = classifyHttpRequest('GET', '/log');
    const reconfigure = classifyHttpRequest('POST', '/reconfigure');
    const cut = classifyHttpRequest('POST', '/links/2/cut');
    const allowed = (token: string) => [get, put, del, cas, log, reconfigure, cut].map((a) => authorize(who(token), a) === undefined);
    expect(allowed(tokens.reader)).toEqual([true, false, false, false, true, false, false]);
    expect(allowed(tokens.writer)).toEqual([true, true, true, true, true, false, false]);
    expect(allowed(tokens.ops)).toEqual([true, true, true, true, true, true, true]);
    expect(authorize(who(tokens.writer), reconfigure)?.error).toBe('forbidden: POST /reconfigure needs the admin role; user "writer" has write');
  });

  it('limits a prefixed grant to its keys, and the whole log to unprefixed read', () => {
    const app = who(tokens.app);
    expect(authorize(app, classifyHttpRequest('PUT', '/kv/app%2Fx'))).toBeUndefined();
    expect(authorize(app, classifyHttpRequest('GET', '/kv/shared%2Fy'))).toBeUndefined();
    expect(authorize(app, classifyHttpRequest('PUT', '/kv/shared%2Fy'))?.code).toBe('forbidden');
    expect(authorize(app, classifyHttpRequest('GET', '/kv/other'))?.code).toBe('forbidden');
    expect(authorize(app, classifyHttpRequest('GET', '/log'))?.error).toMatch(/every key/);
  });

  it('treats every route it does not know (membership, future endpoints) as admin', () => {
    for (const [method, path] of [['POST', '/membership'], ['GET', '/member/list'], ['POST', '/links/3/heal'], ['GET', '/status/details'], ['DELETE', '/kv/a/cas/x']]) {
      const action = classifyHttpRequest(method ?? '', path ?? '');
      expect(action.kind).toBe('admin');
      expect(authorize(who(tokens.writer), action)?.code).toBe('forbidden');
      expect(authorize(who(tokens.ops), action)).toBeUndefined();
    }
  });

  it('shows status details only to admins', () => {
    const status = { pid: 1, leader: 2, configuration: { configurationId: 1, nodes: [1, 2, 3] }, mode: 'running', decidedIdx: 5, keys: 1, ballot: { n: 1 }, links: { 2: 'connected' }, transport: {} };
    expect(statusView(who(tokens.reader), status)).toEqual({ pid: 1, leader: 2, configuration: { configurationId: 1, nodes: [1, 2, 3] }, mode: 'running', decidedIdx: 5, keys: 1 });
    expect(statusView(who(tokens.ops), status)).toBe(status);
  });

  it('parses grants and refuses unknown roles', () => {
    expect(parseGrant('write:app/')).toEqual({ role: 'write', prefix: 'app/' });
    expect(parseGrant('read')).toEqual({ role: 'read' });
    expect(() => parseGrant('owner')).toThrow(/unknown role/);
  });
});

describe('security flags', () => {
  it('reads limits and TLS files, and refuses half a configuration', () => {
    const s = parseSecurityArgs(flags(['--users', 'u.json', '--client-tls-cert', 'c.pem', '--client-tls-key', 'k.pem', '--client-tls-ca', 'ca.pem', '--max-connections', '8']));
    expect(s).toMatchObject({ users: 'u.json', clientTls: { cert: 'c.pem', key: 'k.pem', clientCa: 'ca.pem' }, limits: { maxConnections: 8, idleTimeoutMs: 120_000 } });
    expect(() => parseSecurityArgs(flags(['--client-tls-cert', 'c.pem']))).toThrow(/both --client-tls-cert and --client-tls-key/);
    expect(() => parseSecurityArgs(flags(['--client-tls-cert', 'c', '--client-tls-key', 'k', '--client-tls-ca', 'ca']))).toThrow(/needs --users/);
    expect(() => parseSecurityArgs(flags(['--max-connections', '0']))).toThrow(/--max-connections must be a positive integer/);
    expect(() => parseSecurityArgs(flags(['--headers-timeout-ms', '5000', '--request-timeout-ms', '1000']))).toThrow(/must not exceed/);
  });

  it('warns loudly about a non-loopback listener without --users, and only then', () => {
    const open = parseSecurityArgs(flags([]));
    const listeners = (host: string) => [{ name: 'HTTP', host, port: 7201 }, { name: 'client port', host: '127.0.0.1', port: 7301 }];
    expect(exposureWarning(open, listeners('127.0.0.1'))).toBeUndefined();
    expect(exposureWarning(open, listeners('localhost'))).toBeUndefined();
    expect(exposureWarning(open, listeners('0.0.0.0'))).toMatch(/WARNING: NO AUTHENTICATION[\s\S]*HTTP 0\.0\.0\.0:7201/);
    expect(exposureWarning(parseSecurityArgs(flags(['--users', 'u.json'])), listeners('0.0.0.0'))).toBeUndefined();
  });
});
