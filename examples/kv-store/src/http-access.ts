/**
 * Access control of the HTTP API, in the routing layer: every request is authenticated and then
 * classified before any handler runs. Only `/kv/<key>[/cas]`, `GET /log` and `GET /status` are open to
 * non-admin roles; every other route (reconfigure, links, membership, and any route added later) needs
 * the admin role, so a new endpoint is protected without a change here.
 */
import type { IncomingMessage } from 'node:http';
import { type Authenticator, isDenied } from './auth.js';
import { type AccessDenied, type KvAction, type Principal, authorize } from './roles.js';
import { verifiedCertificateName } from './tls-options.js';

/** classifyHttpRequest says what a request asks to do; any route not listed is an admin action. */
export function classifyHttpRequest(method: string, pathname: string): KvAction {
  if (pathname === '/status' && method === 'GET') return { kind: 'status' };
  if (pathname === '/log' && method === 'GET') return { kind: 'log' };
  const kv = /^\/kv\/([^/]+)(\/cas)?$/.exec(pathname);
  if (kv !== null && kv[1] !== undefined) {
    let key: string;
    try {
      key = decodeURIComponent(kv[1]);
    } catch {
      key = kv[1];
    }
    if (kv[2] !== undefined) return { kind: 'key', op: 'cas', key };
    return { kind: 'key', op: method === 'GET' ? 'get' : method === 'DELETE' ? 'delete' : 'put', key };
  }
  return { kind: 'admin', what: `${method} ${pathname}` };
}

/** bearerToken reads `Authorization: Bearer <token>`, if present. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = h === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

/** HttpRefusal is a 401 or 403 answer: status code and JSON body `{ error, code }`. */
export interface HttpRefusal {
  status: 401 | 403;
  body: AccessDenied;
}

/** checkHttpAccess authenticates `req` (bearer token or verified client certificate) and authorizes its route: the principal, or a refusal. */
export function checkHttpAccess(access: Authenticator, req: IncomingMessage, pathname: string): Principal | HttpRefusal {
  const who = access.authenticate({ token: bearerToken(req), certificateName: verifiedCertificateName(req.socket) });
  if (isDenied(who)) return { status: 401, body: who };
  const denied = authorize(who, classifyHttpRequest(req.method ?? 'GET', pathname));
  return denied === undefined ? who : { status: 403, body: denied };
}

/** isHttpRefusal tells a refusal from a principal. */
export const isHttpRefusal = (x: Principal | HttpRefusal): x is HttpRefusal => 'status' in x && 'body' in x;
