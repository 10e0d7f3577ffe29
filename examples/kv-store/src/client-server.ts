import net from 'node:net';
import { FrameDecoder, decodePayload, encodeFrame, encodePayload } from '@omnipaxos/transport-tcp';
import {
  type ClientResponse,
  MAX_CLIENT_FRAME_BYTES,
  PROTOCOL_ERROR_ID,
  type ParsedRequest,
  parseClientRequest,
} from './client-protocol.js';
import type { KvNode } from './kv-node.js';

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

  constructor(
    private readonly socket: net.Socket,
    private readonly backend: ClientBackend,
    onClose: () => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => this.updateFlow());
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => {
      this.closed = true;
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
    this.updateFlow();
  }

  private run({ id, command }: ParsedRequest): void {
    if (command.op === 'status') {
      try {
        this.send({ id, op: 'status', status: this.backend.status() });
      } catch (err) {
        this.send(this.unavailable(id, err));
      }
      return;
    }
    this.inFlight++;
    this.backend.execute(command).then(
      ({ idx, result }) => this.settled({ id, idx, ...result }),
      (err: unknown) => this.settled(this.unavailable(id, err)),
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

/**
 * KvClientServer serves the native client protocol of one replica over TCP: length-prefixed msgpack
 * frames, requests multiplexed by id and answered as soon as each command is applied (see docs/kv-store.md).
 */
export class KvClientServer {
  private readonly server: net.Server;
  private readonly connections = new Set<ClientConnection>();

  constructor(backend: ClientBackend) {
    this.server = net.createServer((socket) => {
      const conn = new ClientConnection(socket, backend, () => this.connections.delete(conn));
      this.connections.add(conn);
    });
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
