import net from 'node:net';
import tls from 'node:tls';
import { FrameDecoder, decodePayload, encodeFrame, encodePayload } from '@omnipaxos/transport-tcp';
import {
  type ClientResponse,
  MAX_CLIENT_FRAME_BYTES,
  PROTOCOL_ERROR_ID,
  type ParsedRequest,
  parseClientRequest,
} from './client-protocol.js';
import type { KvNode, KvStatus } from './kv-node.js';
import { Authenticator, isDenied } from './auth.js';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from './connection-limits.js';
import { type Principal, authorize, describeGrant, statusView } from './roles.js';
import { type ClientSurfaceTls, serverTlsOptions, verifiedCertificateName } from './tls-options.js';
import { ReservedKeyError } from './internal-keys.js';

/** ClientBackend is what the client server needs of a replica: KvNode, or a fake in tests. */
export type ClientBackend = Pick<KvNode, 'pid' | 'execute' | 'status'>;

/** Per connection: requests being decided before the server stops reading more from it. */
const MAX_IN_FLIGHT = 4096;
/** Per connection: unsent response bytes before the server stops reading more from it. */
const MAX_UNSENT_BYTES = 8 << 20;

/** One client connection: decodes request frames, runs them, and writes the responses of a turn in one write. */
class ClientConnection {
  private readonly decoder = new FrameDecoder(MAX_CLIENT_FRAME_BYTES);
  private out: Buffer[] = [];
  private flushScheduled = false;
  private inFlight = 0;
  private paused = false;
  /** ending: a protocol error was answered and the connection is closing; later frames are ignored. */
  private ending = false;
  private closed = false;
  /** principal is who this connection speaks for: from its client certificate or open access at first, from an `auth` request later. */
  private principal: Principal | undefined;
  /** frameTimer runs while a frame is half-received: it must be completed within `limits.frameTimeoutMs`. */
  private frameTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly backend: ClientBackend,
    private readonly access: Authenticator,
    private readonly limits: ConnectionLimits,
    onClose: () => void,
  ) {
    socket.setNoDelay(true);
    const who = access.authenticate({ certificateName: verifiedCertificateName(socket) });
    if (!isDenied(who)) this.principal = who;
    // Idle: nothing received or sent for idleTimeoutMs and no request in flight.
    socket.setTimeout(limits.idleTimeoutMs, () => {
      if (this.inFlight === 0) this.socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.updateFlow());
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => {
      this.closed = true;
      clearTimeout(this.frameTimer);
      this.out = [];
      onClose();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    if (this.ending) return;
    const { frames, error } = this.decoder.push(chunk);
    for (const frame of frames) {
      let decoded: unknown;
      try {
        decoded = decodePayload(frame);
      } catch (err) {
        return this.fail(`frame is not MessagePack: ${err instanceof Error ? err.message : String(err)}`);
      }
      const request = parseClientRequest(decoded);
      if ('error' in request) {
        if (request.id === PROTOCOL_ERROR_ID) return this.fail(request.error);
        this.send({ id: request.id, error: request.error, code: 'bad-request' });
      } else this.run(request);
    }
    if (error !== undefined) return this.fail(error.message);
    this.watchHalfFrame();
    this.updateFlow();
  }

  /** watchHalfFrame starts the frame deadline when a frame is half received, and stops it once none is. */
  private watchHalfFrame(): void {
    if (this.decoder.pendingBytes === 0) {
      clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
    } else if (this.frameTimer === undefined) {
      const ms = this.limits.frameTimeoutMs;
      this.frameTimer = setTimeout(() => this.fail(`a frame was not completed within ${ms} ms`), ms);
      this.frameTimer.unref();
    }
  }

  private run({ id, command }: ParsedRequest): void {
    if (command.op === 'auth') {
      const who = this.access.authenticate({ token: command.token });
      if (isDenied(who)) this.send({ id, error: who.error, code: who.code });
      else {
        this.principal = who;
        this.send({ id, op: 'auth', user: who.user, roles: who.grants.map(describeGrant) });
      }
      return;
    }
    const principal = this.principal ?? this.access.authenticate({});
    if (isDenied(principal)) return this.send({ id, error: principal.error, code: principal.code });
    const denied = authorize(principal, command.op === 'status' ? { kind: 'status' } : { kind: 'key', op: command.op, key: command.key });
    if (denied !== undefined) return this.send({ id, error: denied.error, code: denied.code });
    if (command.op === 'status') {
      try {
        this.send({ id, op: 'status', status: statusView(principal, this.backend.status()) as KvStatus });
      } catch (err) {
        this.send(this.unavailable(id, err));
      }
      return;
    }
    this.inFlight++;
    this.backend.execute(command).then(
      ({ idx, result }) => this.settled({ id, idx, ...result }),
      (err: unknown) =>
        this.settled(err instanceof ReservedKeyError ? { id, error: err.message, code: 'bad-request' } : this.unavailable(id, err)),
    );
  }

  private settled(response: ClientResponse): void {
    this.inFlight--;
    this.send(response);
    this.updateFlow();
  }

  private unavailable(id: number, err: unknown): ClientResponse {
    let leader: number | null = null;
    try {
      leader = this.backend.status().leader;
    } catch {
      // stopping: no hint
    }
    const error = err instanceof Error ? err.message : String(err);
    return { id, error, code: 'unavailable', ...(leader !== null && leader !== this.backend.pid ? { leader } : {}) };
  }

  /** send queues one response; the responses queued by one batch of decisions (one microtask run) go out in one write. */
  private send(response: ClientResponse): void {
    if (this.closed) return;
    let frame: Buffer;
    try {
      frame = encodeFrame(encodePayload(response));
    } catch (err) {
      frame = encodeFrame(encodePayload(this.unavailable(response.id, err)));
    }
    this.out.push(frame);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.out.length === 0 || this.socket.writableEnded) return;
    const data = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out = [];
    this.socket.write(data);
    this.updateFlow();
  }

  /** fail answers a connection-level error with id -1, then closes the connection. */
  private fail(message: string): void {
    if (this.ending) return;
    this.ending = true;
    this.send({ id: PROTOCOL_ERROR_ID, error: message, code: 'bad-request' });
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }

  /** updateFlow stops reading while too much is in flight or unsent, and resumes once it drains. */
  private updateFlow(): void {
    if (this.closed || this.ending) return;
    const busy = this.inFlight >= MAX_IN_FLIGHT || this.socket.writableLength > MAX_UNSENT_BYTES;
    if (busy && !this.paused) this.socket.pause();
    else if (!busy && this.paused) this.socket.resume();
    this.paused = busy;
  }
}

/** KvClientServerOptions: who may do what (default: everyone is admin), TLS, and connection limits (see docs/security.md). */
export interface KvClientServerOptions {
  access?: Authenticator;
  tls?: ClientSurfaceTls;
  limits?: ConnectionLimits;
}

/**
 * KvClientServer serves the native client protocol of one replica over TCP: length-prefixed msgpack
 * frames, requests multiplexed by id and answered as soon as each command is applied (see docs/kv-store.md).
 */
export class KvClientServer {
  private readonly server: net.Server;
  private readonly connections = new Set<ClientConnection>();

  constructor(backend: ClientBackend, options: KvClientServerOptions = {}) {
    const access = options.access ?? Authenticator.open();
    const limits = options.limits ?? DEFAULT_CONNECTION_LIMITS;
    const onSocket = (socket: net.Socket): void => {
      if (options.tls?.clientCa !== undefined) {
        const t = socket as tls.TLSSocket;
        // A client certificate that does not chain to the client CA is refused at the TLS layer.
        if (!t.authorized && Object.keys(t.getPeerCertificate() ?? {}).length > 0) return void socket.destroy();
      }
      const conn = new ClientConnection(socket, backend, access, limits, () => this.connections.delete(conn));
      this.connections.add(conn);
    };
    this.server = options.tls === undefined ? net.createServer(onSocket) : tls.createServer(serverTlsOptions(options.tls, limits.frameTimeoutMs), onSocket);
    this.server.maxConnections = limits.maxConnections;
    // A connection still in its TLS handshake counts too: it is closed after frameTimeoutMs (handshakeTimeout).
    this.server.on('tlsClientError', (_err: Error, socket: net.Socket) => socket.destroy());
  }

  /** listen binds `host:port` (0 picks a port) and resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(new Error(`client port ${host}:${port}: ${err.message}`));
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /** connectionCount is the number of open client connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** close stops accepting connections and closes every open one (their pending requests get no answer). */
  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const conn of this.connections) conn.destroy();
    return closed;
  }
}
