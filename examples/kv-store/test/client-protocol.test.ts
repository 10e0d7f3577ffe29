import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameDecoder, decodePayload, encodeFrame, encodePayload } from '@omnipaxos/transport-tcp';
import { parseServerArgs } from '../src/args.js';
import { PROTOCOL_ERROR_ID, isClientResponse, parseClientRequest } from '../src/client-protocol.js';
import { type ClientBackend, KvClientServer } from '../src/client-server.js';
import type { KvCommand, KvResult } from '../src/kv-command.js';
import type { KvStatus } from '../src/kv-node.js';
import { KvState } from '../src/kv-state.js';
import { KvTcpClient, KvTcpError } from '../src/tcp-client.js';

const parseArgsForTest = (extra: string[]) => parseServerArgs(['--pid', '1', '--nodes', '1', '--peers', '1=127.0.0.1:7101', ...extra]);

describe('parseClientRequest', () => {
  const ok: [unknown, unknown][] = [
    [{ id: 0, op: 'put', key: 'k', value: 'v' }, { id: 0, command: { op: 'put', key: 'k', value: 'v' } }],
    [{ id: 7, op: 'get', key: ' ' }, { id: 7, command: { op: 'get', key: ' ' } }],
    [{ id: 8, op: 'delete', key: 'k', value: 'ignored' }, { id: 8, command: { op: 'delete', key: 'k' } }],
    [{ id: 9, op: 'cas', key: 'k', expected: null, value: 'w' }, { id: 9, command: { op: 'cas', key: 'k', expected: null, value: 'w' } }],
    [{ id: 10, op: 'cas', key: 'k', expected: 'v', value: null }, { id: 10, command: { op: 'cas', key: 'k', expected: 'v', value: null } }],
    [{ id: 11, op: 'status' }, { id: 11, command: { op: 'status' } }],
  ];
  it.each(ok)('accepts %j', (input, expected) => {
    expect(parseClientRequest(input)).toEqual(expected);
  });

  const answerable: [unknown, RegExp][] = [
    [{ id: 1, op: 'put', key: 'k' }, /put needs a value/],
    [{ id: 1, op: 'put', key: 'k', value: 3 }, /put needs a value/],
    [{ id: 1, op: 'put', value: 'v' }, /needs a key/],
    [{ id: 1, op: 'get', key: 5 }, /needs a key/],
    [{ id: 1, op: 'put', key: '', value: 'v' }, /key must not be empty/], // the same rule as HTTP's /kv/
    [{ id: 1, op: 'cas', key: 'k', value: 'v' }, /cas needs expected and value/],
    [{ id: 1, op: 'cas', key: 'k', expected: 1, value: 'v' }, /cas needs expected and value/],
    [{ id: 1, op: 'scan', key: 'k' }, /unknown op "scan"/],
    [{ id: 1 }, /unknown op undefined/],
    [{ id: 1, op: ['put'] }, /unknown op/],
  ];
  it.each(answerable)('refuses %j with an answer to its id', (input, message) => {
    const r = parseClientRequest(input);
    expect(r).toMatchObject({ id: 1 });
    expect('error' in r && r.error).toMatch(message);
  });

  const unanswerable: unknown[] = [null, 'put', 42, [1, 'put'], {}, { id: -1, op: 'status' }, { id: 1.5, op: 'status' }, { id: '1', op: 'status' }, { id: 2 ** 60, op: 'status' }];
  it.each(unanswerable)('refuses %j as a protocol error (no usable id)', (input) => {
    const r = parseClientRequest(input);
    expect(r).toMatchObject({ id: PROTOCOL_ERROR_ID });
    expect('error' in r).toBe(true);
  });

  it('isClientResponse tells answers from anything else', () => {
    expect(isClientResponse({ id: 1, idx: 3, op: 'put', previous: null })).toBe(true);
    expect(isClientResponse({ id: 1, error: 'x', code: 'unavailable', leader: 2 })).toBe(true);
    expect(isClientResponse({ id: 1, op: 'status', status: {} })).toBe(true);
    expect(isClientResponse({ id: 1, error: 'x', code: 'other' })).toBe(false);
    expect(isClientResponse({ idx: 3, op: 'put' })).toBe(false);
    expect(isClientResponse('x')).toBe(false);
  });

  it('the server flags: --client host:port with clear errors', () => {
    expect(parseArgsForTest([]).client).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseArgsForTest(['--client', '0.0.0.0:7301']).client).toEqual({ host: '0.0.0.0', port: 7301 });
    expect(() => parseArgsForTest(['--client', 'nope'])).toThrow(/--client must be host:port/);
    expect(() => parseArgsForTest(['--client', 'h:70000'])).toThrow(/--client must be host:port/);
    expect(() => parseArgsForTest(['--client'])).toThrow(/--client needs a value/);
    expect(() => parseArgsForTest(['--client', '127.0.0.1:7201', '--http', '127.0.0.1:7201'])).toThrow(/different ports/);
  });
});

/** A backend without consensus: applies commands to a KvState at once, answers after a random delay (fails while `failing`). */
class FakeBackend implements ClientBackend {
  readonly pid = 1;
  readonly state = new KvState();
  failing: string | undefined;
  async execute(command: KvCommand): Promise<{ idx: number; result: KvResult }> {
    if (this.failing !== undefined) throw new Error(this.failing);
    const idx = this.state.applied;
    const result = this.state.apply(command); // applied in request order, answered out of order:
    await new Promise((r) => setTimeout(r, Math.random() * 3));
    return { idx, result };
  }
  status(): KvStatus {
    return { pid: 1, leader: 2, ballot: null, configuration: { configurationId: 1, nodes: [1, 2, 3] }, mode: 'running', decidedIdx: this.state.applied, keys: this.state.size, links: {}, transport: { peers: [] } as unknown as KvStatus['transport'] };
  }
}

/** rawConnect opens a plain socket and collects the decoded frames the server sends until it closes. */
async function rawConnect(port: number): Promise<{ socket: net.Socket; frames: unknown[]; closed: Promise<void> }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const frames: unknown[] = [];
  const decoder = new FrameDecoder(1 << 20);
  socket.on('data', (c: Buffer) => {
    for (const f of decoder.push(c).frames) frames.push(decodePayload(f));
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, frames, closed };
}

describe('KvClientServer and KvTcpClient in one process (fake backend)', () => {
  const backend = new FakeBackend();
  const server = new KvClientServer(backend);
  let port = 0;
  beforeAll(async () => {
    port = await server.listen('127.0.0.1', 0);
  });
  afterAll(() => server.close());

  it('answers every op, out of order, matched by id', async () => {
    const c = await KvTcpClient.connect('127.0.0.1', port);
    expect(await c.put('a', '1')).toMatchObject({ op: 'put', previous: null });
    const [g, d, cas1, cas2] = await Promise.all([c.get('a'), c.delete('nope'), c.cas('b', null, 'x'), c.cas('b', 'y', 'z')]);
    expect(g).toMatchObject({ op: 'get', value: '1' });
    expect(d).toMatchObject({ op: 'delete', existed: false });
    expect(cas1).toMatchObject({ op: 'cas', ok: true, current: 'x' });
    expect(cas2).toMatchObject({ op: 'cas', ok: false, current: 'x' });
    const puts = await Promise.all(Array.from({ length: 500 }, (_, i) => c.put(`k${i}`, `v${i}`)));
    expect(new Set(puts.map((p) => p.idx)).size).toBe(500);
    expect((await c.status()).leader).toBe(2);
    await c.close();
  });

  it('answers a failed command with unavailable and the leader hint', async () => {
    const c = await KvTcpClient.connect('127.0.0.1', port);
    backend.failing = 'no quorum';
    const err = await c.put('a', '2').catch((e: unknown) => e);
    backend.failing = undefined;
    expect(err).toBeInstanceOf(KvTcpError);
    expect(err).toMatchObject({ code: 'unavailable', leader: 2 });
    expect((err as Error).message).toMatch(/no quorum/);
    await c.close();
  });

  it('answers a bad request with bad-request and keeps the connection', async () => {
    const raw = await rawConnect(port);
    raw.socket.write(encodeFrame(encodePayload({ id: 5, op: 'put', key: 'k' })));
    raw.socket.write(encodeFrame(encodePayload({ id: 6, op: 'put', key: 'raw', value: 'r' })));
    await expect.poll(() => raw.frames.length).toBe(2);
    expect(raw.frames).toContainEqual({ id: 5, error: 'put needs a value: a string', code: 'bad-request' });
    expect(raw.frames).toContainEqual(expect.objectContaining({ id: 6, op: 'put', previous: null }));
    raw.socket.destroy();
  });

  const broken: [string, Buffer][] = [
    ['a frame that is not MessagePack', encodeFrame(Buffer.from([0xc1, 0xc1]))],
    ['a request without an id', encodeFrame(encodePayload({ op: 'get', key: 'k' }))],
    ['an oversize frame', Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3])],
    ['an empty frame', Buffer.from([0, 0, 0, 0])],
  ];
  it.each(broken)('closes only the connection that sent %s, after an error with id -1', async (_, bytes) => {
    const other = await KvTcpClient.connect('127.0.0.1', port);
    const raw = await rawConnect(port);
    raw.socket.write(bytes);
    await raw.closed;
    expect(raw.frames).toEqual([expect.objectContaining({ id: PROTOCOL_ERROR_ID, code: 'bad-request' })]);
    expect(await other.put('still', 'served')).toMatchObject({ op: 'put' });
    await other.close();
  });

  it('rejects requests that outlive their timeout, and everything once closed', async () => {
    const c = await KvTcpClient.connect('127.0.0.1', port, { timeoutMs: 50 });
    backend.failing = undefined;
    const slow = new Promise<never>(() => undefined);
    const original = backend.execute.bind(backend);
    backend.execute = () => slow;
    const err = await c.put('a', '1').catch((e: unknown) => e);
    backend.execute = original;
    expect(err).toMatchObject({ code: 'timeout' });
    const pending = c.get('a').catch((e: unknown) => e);
    await c.close();
    expect(await pending).toMatchObject({ code: 'closed' });
    await expect(c.get('a')).rejects.toThrow(/closed by the client/);
  });

  it('close() on the server ends every client connection; pending requests reject', async () => {
    const s2 = new KvClientServer({ pid: 1, execute: () => new Promise(() => undefined), status: () => backend.status() });
    const p2 = await s2.listen('127.0.0.1', 0);
    const c = await KvTcpClient.connect('127.0.0.1', p2);
    const pending = c.put('x', 'y').catch((e: unknown) => e);
    await expect.poll(() => s2.connectionCount).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    await s2.close();
    expect(await pending).toMatchObject({ code: 'closed', message: expect.stringMatching(/connection to 127\.0\.0\.1:\d+ closed/) });
  });

  it('connect fails clearly when nothing listens', async () => {
    const s3 = new KvClientServer(backend);
    const p3 = await s3.listen('127.0.0.1', 0);
    await s3.close();
    await expect(KvTcpClient.connect('127.0.0.1', p3)).rejects.toThrow(/connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });
});
