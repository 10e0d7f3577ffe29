import http from 'node:http';
import https from 'node:https';
import type { ClientTls } from './tls-options.js';

/** KvStatusBody is the JSON of `GET /status` as the client sees it (see KvStatus in kv-node.ts); without the admin role only pid, leader, configuration, mode, decidedIdx and keys are present. */
export interface KvStatusBody {
  pid: number;
  leader: number | null;
  ballot: { configId: number; n: number; priority: number; pid: number } | null;
  configuration: { configurationId: number; nodes: number[] };
  mode: 'running' | 'joining' | 'retired' | 'stopped' | 'failed';
  /** Why the node failed (mode `failed`). */
  failure?: string;
  memory?: { rss: number; heapUsed: number };
  decidedIdx: number;
  keys: number;
  links: Record<string, string>;
  transport: { peers: { pid: number; state: string }[] };
  /** Where the replica serves clients (`host:port`): the HTTP API and the native client protocol. */
  addresses?: { http: string | null; client: string | null };
}

/** KvLogItem is one decided entry as `GET /log` returns it. */
export interface KvLogItem {
  idx: number;
  origin: number;
  entry: { op: string; key: string; value?: string | null; expected?: string | null };
}

/** KvMembersBody is the JSON of `GET /members` (see MembersView in kv-node.ts). */
export interface KvMembersBody {
  pid: number;
  configuration: { configurationId: number; nodes: number[] };
  mode: 'running' | 'joining' | 'retired' | 'stopped';
  leader: number | null;
  peers: Record<string, string>;
  links: Record<string, string>;
  change: { target: number; nodes: number[]; by: number } | null;
  catchUp: { configurationId: number; received: number; total: number; sources: number[]; completed: boolean } | null;
  dataDir: string;
}

/** KvReconfigureAnswer is what `POST /reconfigure` returns (`decided` false: still pending after 15 s). */
export interface KvReconfigureAnswer {
  proposed: { configurationId: number; nodes: number[] };
  decided: boolean;
  configuration: { configurationId: number; nodes: number[] };
  mode: string;
}

/** One keep-alive agent for every client of this process: a request reuses an idle socket. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** KvCredentials are how a client proves who it is: a bearer token, and/or (for an https URL) TLS settings with a client certificate. */
export interface KvCredentials {
  token?: string;
  tls?: ClientTls;
}

/** KvHttpError is a non-2xx answer: its HTTP status (401 unauthenticated, 403 forbidden, 400, 503, ...) and the server's message. */
export class KvHttpError extends Error {
  override readonly name = 'KvHttpError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * KvClient talks to one replica's HTTP API (or HTTPS, for an `https://` URL) over node:http with a
 * keep-alive agent (cheaper per request than `fetch`); every call times out after `timeoutMs` (default
 * 20 s) and throws a KvHttpError on a non-2xx answer.
 */
export class KvClient {
  private readonly agent: http.Agent;

  constructor(
    readonly url: string,
    readonly timeoutMs = 20_000,
    private readonly credentials: KvCredentials = {},
  ) {
    this.agent = url.startsWith('https:') ? new https.Agent({ keepAlive: true, maxSockets: 64, minVersion: 'TLSv1.2', ...credentials.tls }) : agent;
  }

  private call<R>(method: string, path: string, body?: unknown): Promise<R> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
    if (this.credentials.token !== undefined) headers.authorization = `Bearer ${this.credentials.token}`;
    const request = this.url.startsWith('https:') ? https.request : http.request;
    return new Promise<R>((resolve, reject) => {
      const req = request(
        `${this.url}${path}`,
        {
          method,
          agent: this.agent,
          headers,
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            let json: R & { error?: string };
            try {
              json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as R & { error?: string };
            } catch {
              reject(new Error(`${method} ${path}: ${res.statusCode ?? '?'} (answer is not JSON)`));
              return;
            }
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) reject(new KvHttpError(`${method} ${path}: ${status} ${json.error ?? ''}`, status));
            else resolve(json);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(text);
    });
  }

  /** put sets `key` to `value`. */
  put(key: string, value: string) {
    return this.call<{ idx: number; previous: string | null }>('PUT', `/kv/${encodeURIComponent(key)}`, { value });
  }
  /** get reads `key` through the log (linearizable). */
  get(key: string) {
    return this.call<{ idx: number; value: string | null }>('GET', `/kv/${encodeURIComponent(key)}`);
  }
  /** delete removes `key`. */
  delete(key: string) {
    return this.call<{ idx: number; existed: boolean }>('DELETE', `/kv/${encodeURIComponent(key)}`);
  }
  /** cas sets `key` to `value` if it holds `expected` (null = absent). */
  cas(key: string, expected: string | null, value: string | null) {
    return this.call<{ idx: number; ok: boolean; current: string | null }>('POST', `/kv/${encodeURIComponent(key)}/cas`, { expected, value });
  }
  /** log returns decided entries from index `from` (as many as the replica keeps, at most `limit`). */
  log(from = 0, limit = 10_000) {
    return this.call<KvLogItem[]>('GET', `/log?from=${from}&limit=${limit}`);
  }
  /** reconfigure asks the replica to move the cluster to `nodes`; `peers` maps new pids to `host:port`. */
  reconfigure(nodes: number[], peers: Record<number, string> = {}, options: { force?: boolean; waitMs?: number } = {}) {
    return this.call<KvReconfigureAnswer>('POST', '/reconfigure', { nodes, peers, ...options });
  }
  /** members returns the membership as this replica sees it (admin). */
  members() {
    return this.call<KvMembersBody>('GET', '/members');
  }
  /** addMember adds replica `pid` at replication `address` (one reconfiguration; admin). */
  addMember(pid: number, address: string, options: { waitMs?: number; force?: boolean } = {}) {
    return this.call<KvReconfigureAnswer>('POST', '/members', { pid, address, ...options });
  }
  /** removeMember removes replica `pid` (one reconfiguration; admin). */
  removeMember(pid: number, options: { force?: boolean } = {}) {
    return this.call<KvReconfigureAnswer>('DELETE', `/members/${pid}${options.force === true ? '?force=1' : ''}`);
  }
  /** status returns the replica's status (its summary fields only, without the admin role). */
  status() {
    return this.call<KvStatusBody>('GET', '/status');
  }
  /** setLink cuts or heals the replica's link to `peer` (a test hook; admin only). */
  setLink(peer: number, action: 'cut' | 'heal') {
    return this.call<{ ok: boolean }>('POST', `/links/${peer}/${action}`);
  }
}
