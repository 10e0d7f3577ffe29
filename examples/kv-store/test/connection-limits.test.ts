import net from 'node:net';
import { FrameDecoder, decodePayload, encodeFrame, encodePayload } from '@omnipaxos/transport-tcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessCluster, eventually } from './cluster-harness.js';

/** RawConnection is a hand-driven TCP connection that records what it received and when it was closed. */
class RawConnection {
  received = Buffer.alloc(0);
  readonly closed: Promise<void>;
  isClosed = false;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => {
      this.received = Buffer.concat([this.received, c]);
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        for (const w of this.waiters.splice(0)) w();
        resolve();
      }),
    );
  }

  static open(host: string, port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port }, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** until resolves once `cond` holds or the connection is closed; says whether `cond` held. */
  until(cond: () => boolean): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (cond()) resolve(true);
        else if (this.isClosed) resolve(false);
        else this.waiters.push(check);
      };
      check();
    });
  }

  frames(): unknown[] {
    return new FrameDecoder(1 << 20).push(this.received).frames.map((f) => decodePayload(f));
  }
}

// Short enough for a quick test, long enough that a busy machine does not time out the harness's own requests.
const LIMITS = ['--max-connections', '4', '--idle-timeout-ms', '3000', '--headers-timeout-ms', '2000', '--request-timeout-ms', '3000', '--frame-timeout-ms', '2000'];

describe('kv-store connection hygiene: idle and half-sent connections are closed, connections per port are capped', () => {
  const cluster = new ProcessCluster([1, 2, 3]);
  let clientPort: { host: string; port: number };
  let httpPort: number;
  /** The HTTP port of replica 3, which no client of the harness uses (its keep-alive sockets would take slots). */
  let quietHttpPort: number;
  beforeAll(async () => {
    cluster.serverArgs = LIMITS;
    await cluster.startAll();
    const info = await cluster.procs.get(1)!.readyInfo;
    clientPort = { host: info.clientHost, port: info.clientPort };
    httpPort = Number(new URL(info.httpUrl).port);
    quietHttpPort = Number(new URL((await cluster.procs.get(3)!.readyInfo).httpUrl).port);
    await eventually('a first write', () => cluster.client(2).put('seed', 's'), 30_000);
  }, 90_000);
  afterAll(() => cluster.stopAll());

  it('closes an idle client-port connection that never sent anything', async () => {
    const c = await RawConnection.open(clientPort.host, clientPort.port);
    await c.closed;
    expect(c.received.length).toBe(0);
  }, 30_000);

  it('closes a client-port connection whose frame stays half-sent, saying why', async () => {
    const c = await RawConnection.open(clientPort.host, clientPort.port);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(100);
    c.socket.write(Buffer.concat([header, Buffer.alloc(10, 1)]));
    await c.closed;
    expect(c.frames()).toEqual([{ id: -1, error: 'a frame was not completed within 2000 ms', code: 'bad-request' }]);
  }, 30_000);

  it('answers 408 and closes an HTTP connection that sends nothing, half its headers, or half its body', async () => {
    const idle = await RawConnection.open('127.0.0.1', httpPort);
    const halfHeaders = await RawConnection.open('127.0.0.1', httpPort);
    halfHeaders.socket.write('GET /status HTTP/1.1\r\nHost: x\r\n');
    const halfBody = await RawConnection.open('127.0.0.1', httpPort);
    halfBody.socket.write('PUT /kv/half HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"value":');
    await Promise.all([idle.closed, halfHeaders.closed, halfBody.closed]);
    for (const c of [idle, halfHeaders, halfBody]) expect(c.received.toString()).toMatch(/^HTTP\/1\.1 408 /);
    // The half-sent put never reached the log.
    const log = await cluster.client(1).log();
    expect(log.map((l) => l.entry.key)).not.toContain('half');
  }, 30_000);

  /**
   * holdsCap opens `cap` connections that each get an answer (`probe`), then one more: true if that one is
   * closed unanswered while the `cap` stay open. Retried when a held one is closed first (an idle
   * timeout on a busy machine), so the outcome is not a race.
   */
  async function holdsCap(port: number, cap: number, probe: (c: RawConnection) => Promise<boolean>): Promise<boolean> {
    for (let round = 0; round < 10; round++) {
      const held: RawConnection[] = [];
      try {
        let ok = true;
        for (let i = 0; i < cap && ok; i++) {
          const c = await RawConnection.open('127.0.0.1', port);
          held.push(c);
          ok = await probe(c);
        }
        if (!ok) continue;
        const extra = await RawConnection.open('127.0.0.1', port);
        held.push(extra);
        const answered = await probe(extra);
        if (held.slice(0, cap).some((c) => c.isClosed)) continue;
        return !answered && extra.isClosed;
      } finally {
        for (const c of held) c.socket.destroy();
        await Promise.all(held.map((c) => c.closed));
      }
    }
    throw new Error('the held connections kept being closed before the cap could be checked');
  }

  it('caps concurrent connections on the client port and on HTTP, and serves again once some close', async () => {
    let nextId = 1;
    const statusOverClientPort = (c: RawConnection): Promise<boolean> => {
      const id = nextId++;
      c.socket.write(encodeFrame(encodePayload({ id, op: 'status' })));
      return c.until(() => c.frames().some((f) => (f as { id?: number }).id === id));
    };
    const statusOverHttp = (c: RawConnection): Promise<boolean> => {
      const before = (c.received.toString().match(/HTTP\/1\.1 200/g) ?? []).length;
      c.socket.write('GET /status HTTP/1.1\r\nHost: x\r\n\r\n');
      return c.until(() => (c.received.toString().match(/HTTP\/1\.1 200/g) ?? []).length > before && c.received.toString().trimEnd().endsWith('}'));
    };
    expect(await holdsCap(clientPort.port, 4, statusOverClientPort)).toBe(true);
    expect(await holdsCap(quietHttpPort, 4, statusOverHttp)).toBe(true);
    // Every held connection is closed now: a new one is served on each port.
    const again = await RawConnection.open(clientPort.host, clientPort.port);
    expect(await statusOverClientPort(again)).toBe(true);
    again.socket.destroy();
    expect((await cluster.client(1).put('after-cap', 'ok')).idx).toBeGreaterThan(0);
  }, 60_000);
});
