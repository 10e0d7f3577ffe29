import net from 'node:net';
import tls from 'node:tls';
import { FrameDecoder, decodePayload, encodeFrame, encodePayload } from '@omnipaxos/transport-tcp';
import {
  type ClientErrorCode,
  type ClientRequest,
  type ClientResponse,
  MAX_CLIENT_FRAME_BYTES,
  PROTOCOL_ERROR_ID,
  isClientResponse,
} from './client-protocol.js';
import type { KvResult } from './kv-command.js';
import type { KvStatus } from './kv-node.js';
import type { ClientTls } from './tls-options.js';

/** KvTcpResult is a command's answer: its log index and the result of applying it (`op` says which). */
export type KvTcpResult<O extends KvResult['op']> = { idx: number } & Extract<KvResult, { op: O }>;

/**
 * KvTcpClientOptions: `timeoutMs` per request (default 20 s), `connectTimeoutMs` (default 5 s), a bearer
 * `token` sent first (connect fails if it is refused), and `tls` (CA to trust, client certificate and key)
 * for a replica whose client port speaks TLS.
 */
export interface KvTcpClientOptions {
  timeoutMs?: number;
  connectTimeoutMs?: number;
  token?: string;
  tls?: ClientTls;
}

/**
 * KvTcpError is how a KvTcpClient request fails: the server's `bad-request` or `unavailable` (with the
 * replica's `leader` hint when it knows another leader), or `timeout`, or `closed` (the connection ended).
 */
export class KvTcpError extends Error {
  override readonly name = 'KvTcpError';
  constructor(
    message: string,
    readonly code: ClientErrorCode | 'timeout' | 'closed',
    readonly leader?: number,
  ) {
    super(message);
  }
}

interface Pending {
  /** The request, named in error messages (`describe`): built only when one is needed. */
  command: Command;
  deadline: number;
  resolve: (response: ClientResponse) => void;
  reject: (error: KvTcpError) => void;
}

type Command = ClientRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/** describe names a request in error messages: its op and key, e.g. `put a`. */
const describe = (command: Command): string => ('key' in command ? `${command.op} ${command.key}` : command.op);

/**
 * KvTcpClient talks to one replica over the kv-store's native client protocol (see docs/kv-store.md):
 * one TCP connection, requests pipelined and multiplexed by id, the requests of one event-loop turn
 * sent in one write. Every request times out after `timeoutMs`; all pending ones reject when the
 * connection closes.
 */
export class KvTcpClient {
  private readonly pending = new Map<number, Pending>();
  private readonly decoder = new FrameDecoder(MAX_CLIENT_FRAME_BYTES);
  private readonly sweeper: NodeJS.Timeout;
  private nextId = 0;
  private out: Buffer[] = [];
  private flushScheduled = false;
  private closedError: KvTcpError | undefined;
  private socketError: string | undefined;
  private readonly closedPromise: Promise<void>;

  private constructor(
    private readonly socket: net.Socket,
    /** `host:port` of the replica's client port. */
    readonly address: string,
    readonly timeoutMs: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err) => (this.socketError ??= err.message));
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.shut(`connection to ${address} closed${this.socketError !== undefined ? `: ${this.socketError}` : ''}`);
        resolve();
      }),
    );
    this.sweeper = setInterval(() => this.sweep(), Math.min(1_000, Math.max(5, timeoutMs / 10)));
    this.sweeper.unref();
  }

  /** connect opens a connection to a replica's client port (the `client` of its ready line). */
  static async connect(host: string, port: number, options: KvTcpClientOptions = {}): Promise<KvTcpClient> {
    const client = await KvTcpClient.open(host, port, options);
    if (options.token === undefined) return client;
    try {
      await client.authenticate(options.token);
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  private static open(host: string, port: number, options: KvTcpClientOptions): Promise<KvTcpClient> {
    const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    const t = options.tls;
    return new Promise((resolve, reject) => {
      const socket = t === undefined
        ? net.connect({ host, port })
        : tls.connect({ host, port, minVersion: 'TLSv1.2', ...(net.isIP(host) === 0 ? { servername: host } : {}), ...t });
      const timer = setTimeout(() => socket.destroy(new Error(`no answer in ${connectTimeoutMs} ms`)), connectTimeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(new Error(`connect to ${host}:${port}: ${err.message}`));
      };
      socket.once('error', onError);
      socket.once(t === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new KvTcpClient(socket, `${host}:${port}`, options.timeoutMs ?? 20_000));
      });
    });
  }

  /** put sets `key` to `value`. */
  put(key: string, value: string): Promise<KvTcpResult<'put'>> {
    return this.command({ op: 'put', key, value }, 'put');
  }

  /** get reads `key` through the log (linearizable); `value` is null if absent. */
  get(key: string): Promise<KvTcpResult<'get'>> {
    return this.command({ op: 'get', key }, 'get');
  }

  /** delete removes `key`; `existed` says whether it was there. */
  delete(key: string): Promise<KvTcpResult<'delete'>> {
    return this.command({ op: 'delete', key }, 'delete');
  }

  /** cas sets `key` to `value` if it holds `expected` (null = absent; a null `value` deletes). */
  cas(key: string, expected: string | null, value: string | null): Promise<KvTcpResult<'cas'>> {
    return this.command({ op: 'cas', key, expected, value }, 'cas');
  }

  /** authenticate makes later requests on this connection run as the token's user; resolves with its name and roles. */
  async authenticate(token: string): Promise<{ user: string; roles: string[] }> {
    const r = await this.request({ op: 'auth', token });
    if (!('op' in r) || r.op !== 'auth') throw new KvTcpError(`auth: unexpected answer ${JSON.stringify(r)}`, 'bad-request');
    return { user: r.user, roles: r.roles };
  }

  /** status returns the replica's status (not through the log); without the admin role, only its summary fields. */
  async status(): Promise<KvStatus> {
    const r = await this.request({ op: 'status' });
    if (!('op' in r) || r.op !== 'status') throw new KvTcpError(`status: unexpected answer ${JSON.stringify(r)}`, 'bad-request');
    return r.status;
  }

  /** pendingCount is the number of requests sent and not yet answered. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** close sends what is queued, ends the connection and rejects requests still pending. */
  async close(): Promise<void> {
    if (this.closedError === undefined) {
      this.flush();
      this.shut(`connection to ${this.address} closed by the client`);
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1_000).unref();
    }
    await this.closedPromise;
  }

  private command<O extends KvResult['op']>(command: Command, op: O): Promise<KvTcpResult<O>> {
    return this.request(command).then((r) => {
      if (!('op' in r) || r.op !== op) throw new KvTcpError(`${op}: unexpected answer ${JSON.stringify(r)}`, 'bad-request');
      return r as unknown as KvTcpResult<O>;
    });
  }

  private request(command: Command): Promise<ClientResponse> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    const id = this.nextId++;
    let payload: Buffer;
    try {
      payload = encodePayload({ id, ...command });
    } catch (err) {
      return Promise.reject(new KvTcpError(`${describe(command)}: cannot encode: ${err instanceof Error ? err.message : String(err)}`, 'bad-request'));
    }
    if (payload.length > MAX_CLIENT_FRAME_BYTES) {
      return Promise.reject(new KvTcpError(`${describe(command)}: request of ${payload.length} bytes exceeds ${MAX_CLIENT_FRAME_BYTES}`, 'bad-request'));
    }
    this.out.push(encodeFrame(payload));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { command, deadline: performance.now() + this.timeoutMs, resolve, reject });
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0 || this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.write(this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out));
    this.out = [];
  }

  private receive(chunk: Buffer): void {
    const { frames, error } = this.decoder.push(chunk);
    for (const frame of frames) {
      let r: unknown;
      try {
        r = decodePayload(frame);
      } catch {
        return this.abort('an answer is not MessagePack');
      }
      if (!isClientResponse(r)) return this.abort('an answer is not a client-protocol response');
      if (r.id === PROTOCOL_ERROR_ID && 'error' in r) return this.abort(`the server closed the connection: ${r.error}`);
      const p = this.pending.get(r.id);
      if (p === undefined) continue; // timed out already
      this.pending.delete(r.id);
      if ('error' in r) p.reject(new KvTcpError(`${describe(p.command)}: ${r.error}`, r.code, r.leader));
      else p.resolve(r);
    }
    if (error !== undefined) this.abort(`bad framing from the server: ${error.message}`);
  }

  /** abort closes the connection after a protocol error, rejecting every pending request with `reason`. */
  private abort(reason: string): void {
    this.shut(`connection to ${this.address}: ${reason}`);
    this.socket.destroy();
  }

  /** shut marks the client closed and rejects every pending request (once). */
  private shut(message: string): void {
    if (this.closedError !== undefined) return;
    this.closedError = new KvTcpError(message, 'closed');
    clearInterval(this.sweeper);
    this.out = [];
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new KvTcpError(`${describe(p.command)}: ${message}`, 'closed'));
  }

  /** sweep rejects requests past their deadline (the map is in id order, so deadlines only grow). */
  private sweep(): void {
    const now = performance.now();
    for (const [id, p] of this.pending) {
      if (p.deadline > now) break;
      this.pending.delete(id);
      p.reject(new KvTcpError(`${describe(p.command)}: no answer in ${this.timeoutMs} ms`, 'timeout'));
    }
  }
}
