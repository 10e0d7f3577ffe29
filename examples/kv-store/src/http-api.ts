import http from 'node:http';
import https from 'node:https';
import { Authenticator } from './auth.js';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS, applyHttpLimits, httpServerOptions } from './connection-limits.js';
import { checkHttpAccess, isHttpRefusal } from './http-access.js';
import { statusView } from './roles.js';
import { type ClientSurfaceTls, refuseUnverifiedCertificates, serverTlsOptions } from './tls-options.js';
import type { KvCommand } from './kv-command.js';
import type { KvNode } from './kv-node.js';
import { handleMembership } from './membership-api.js';
import { HttpError, MAX_BODY_BYTES, checkRoute, decodeKey, queryInt, readJsonBody, tooLarge } from './http-request.js';

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** commandFor maps an HTTP request on /kv/<key> to a log command, or returns an error message. */
async function commandFor(req: http.IncomingMessage, key: string, cas: boolean): Promise<KvCommand | string> {
  if (req.method === 'GET' && !cas) return { op: 'get', key };
  if (req.method === 'DELETE' && !cas) return { op: 'delete', key };
  const body = await readJsonBody(req);
  if (req.method === 'PUT' && !cas) {
    return typeof body.value === 'string' ? { op: 'put', key, value: body.value } : 'PUT needs {"value": string}';
  }
  if (req.method === 'POST' && cas) {
    const ok = (x: unknown) => x === null || typeof x === 'string';
    return ok(body.expected) && ok(body.value)
      ? { op: 'cas', key, expected: body.expected as string | null, value: body.value as string | null }
      : 'cas needs {"expected": string|null, "value": string|null}';
  }
  return `${req.method ?? '?'} is not supported here`;
}

/** cutOrHeal serves the test hook POST /links/<pid>/{cut,heal}: 404 for a replica this one has no link to. */
function cutOrHeal(node: KvNode, rawPid: string, heal: boolean, res: http.ServerResponse): void {
  const pid = /^\d{1,9}$/.test(rawPid) ? Number(rawPid) : NaN;
  const peers = Object.keys(node.members().peers).map(Number).filter((p) => p !== node.pid);
  if (!peers.includes(pid)) throw new HttpError(404, `no link to replica ${rawPid.slice(0, 40)} (links: ${peers.join(', ') || 'none'})`);
  node.setLinkEnabled(pid, heal);
  send(res, 200, { ok: true });
}

/** HttpApiOptions: who may do what (default: everyone is admin), HTTPS, and connection limits (see docs/security.md). */
export interface HttpApiOptions {
  access?: Authenticator;
  tls?: ClientSurfaceTls;
  limits?: ConnectionLimits;
}

/**
 * createHttpApi serves the JSON API of one replica:
 * GET/PUT/DELETE /kv/<key>, POST /kv/<key>/cas, GET /status, GET /log?from=&limit= (decided entries),
 * GET/POST /members, DELETE /members/<pid>, POST /reconfigure (membership-api.ts), POST /links/<pid>/{cut,heal}
 * (test hook); over HTTPS with `options.tls`.
 * Every request is authenticated and authorized first (http-access.ts): 401/403 with `{ error, code }`.
 * Writes and reads sent to a follower are appended there and forwarded to the leader by the replica.
 */
export function createHttpApi(node: KvNode, options: HttpApiOptions = {}): http.Server {
  const access = options.access ?? Authenticator.open();
  const limits = options.limits ?? DEFAULT_CONNECTION_LIMITS;
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const principal = checkHttpAccess(access, req, url.pathname);
    if (isHttpRefusal(principal)) {
      if (principal.status === 401) res.setHeader('www-authenticate', 'Bearer realm="kv-store"');
      return send(res, principal.status, principal.body);
    }
    const handle = async (): Promise<void> => {
      checkRoute(req.method, url.pathname);
      if (url.pathname === '/status') return send(res, 200, statusView(principal, node.status()));
      if (url.pathname === '/log') return send(res, 200, node.log(queryInt(url, 'from', 0), queryInt(url, 'limit', 10_000)));
      if (await handleMembership(node, req, res, url, send, readJsonBody)) return;
      const link = /^\/links\/([^/]+)\/(cut|heal)$/.exec(url.pathname);
      if (link) return cutOrHeal(node, link[1] ?? '', link[2] === 'heal', res);
      const kv = /^\/kv\/([^/]*)(\/cas)?$/.exec(url.pathname);
      if (!kv || kv[1] === undefined) return send(res, 404, { error: 'not found' });
      const command = await commandFor(req, decodeKey(kv[1]), kv[2] !== undefined);
      if (typeof command === 'string') return send(res, 400, { error: command });
      const { idx, result } = await node.execute(command);
      return send(res, 200, { idx, ...result });
    };
    handle().catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (!res.headersSent) send(res, err.status, { error: err.message }, err.headers);
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      const status = (err as { status?: unknown }).status;
      if (!res.headersSent) send(res, typeof status === 'number' ? status : /JSON|body|host:port|nodes must/.test(message) ? 400 : 503, { error: message });
    });
  };
  const server = options.tls === undefined
    ? http.createServer(httpServerOptions(limits), onRequest)
    : https.createServer({ ...httpServerOptions(limits), ...serverTlsOptions(options.tls, limits.frameTimeoutMs) }, onRequest);
  if (options.tls?.clientCa !== undefined) refuseUnverifiedCertificates(server);
  // A body declared over the limit is refused before the client sends it (no `100 Continue`).
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!tooLarge(req)) {
      res.writeContinue();
      onRequest(req, res);
    } else send(res, 413, { error: `the body is over the limit of ${MAX_BODY_BYTES} bytes` }, { connection: 'close' });
  });
  applyHttpLimits(server, limits);
  return server;
}
