/**
 * Roles and what each may do. `read` (get, log), `write` (put, delete, cas; includes read), `admin`
 * (reconfigure, links, membership, status details and anything else; includes write). A read or
 * write grant may be limited to keys starting with a prefix (`write:app/`); admin is always global.
 */

/** Role is a level of trust; each includes the ones before it: read < write < admin. */
export type Role = 'read' | 'write' | 'admin';

/** ROLES lists the roles from least to most trusted. */
export const ROLES: readonly Role[] = ['read', 'write', 'admin'];

/** Grant is one role a user holds, on every key (`prefix` absent or '') or on keys starting with `prefix`. */
export interface Grant {
  role: Role;
  prefix?: string;
}

/** Principal is who a request comes from, once authenticated: a user name, its grants, and how it proved itself. */
export interface Principal {
  user: string;
  grants: Grant[];
  via: 'token' | 'certificate' | 'open';
}

/**
 * KvAction is what a request asks to do: a keyed command, reading the whole log, reading the status
 * (details only for admin), or an admin operation (reconfigure, links, membership, and any route not
 * known to be one of the others).
 */
export type KvAction =
  | { kind: 'key'; op: 'get' | 'put' | 'delete' | 'cas'; key: string }
  | { kind: 'log' }
  | { kind: 'status' }
  | { kind: 'admin'; what: string };

/** AccessDenied explains a refusal: `unauthenticated` (401: no or bad credentials) or `forbidden` (403). */
export interface AccessDenied {
  code: 'unauthenticated' | 'forbidden';
  error: string;
}

const rank = (r: Role): number => ROLES.indexOf(r);

/** parseGrant reads `read`, `write`, `admin`, or `read:<prefix>` / `write:<prefix>`; throws on anything else. */
export function parseGrant(text: string): Grant {
  const i = text.indexOf(':');
  const role = i < 0 ? text : text.slice(0, i);
  const prefix = i < 0 ? '' : text.slice(i + 1);
  if (role !== 'read' && role !== 'write' && role !== 'admin') throw new Error(`unknown role ${JSON.stringify(role)} (read, write, admin, or read:<prefix>, write:<prefix>)`);
  if (role === 'admin' && prefix !== '') throw new Error(`admin is global: it takes no key prefix (got ${JSON.stringify(text)})`);
  return prefix === '' ? { role } : { role, prefix };
}

/** describeGrant is the inverse of parseGrant. */
export const describeGrant = (g: Grant): string => (g.prefix ? `${g.role}:${g.prefix}` : g.role);

/** OPEN_PRINCIPAL is everyone when authentication is off: a full admin (the loopback demo's default). */
export const OPEN_PRINCIPAL: Principal = { user: 'anyone', grants: [{ role: 'admin' }], via: 'open' };

const holds = (p: Principal, role: Role, key?: string): boolean =>
  p.grants.some((g) => rank(g.role) >= rank(role) && (key === undefined ? !g.prefix : key.startsWith(g.prefix ?? '')));

/** requiredRole is the role an action needs (on its key, for keyed actions). */
export function requiredRole(action: KvAction): Role {
  switch (action.kind) {
    case 'key': return action.op === 'get' ? 'read' : 'write';
    case 'log': case 'status': return 'read';
    default: return 'admin';
  }
}

/** isAdmin tells whether `p` holds the admin role (sees status details, may reconfigure). */
export const isAdmin = (p: Principal): boolean => holds(p, 'admin');

/**
 * authorize decides whether `principal` may do `action`: undefined if it may, or a 403 refusal naming
 * the missing role. The whole log needs read on every key; status needs any grant.
 */
export function authorize(principal: Principal, action: KvAction): AccessDenied | undefined {
  const role = requiredRole(action);
  let ok: boolean;
  let what: string;
  switch (action.kind) {
    case 'key':
      ok = holds(principal, role, action.key);
      what = `${action.op} ${JSON.stringify(action.key)} needs the ${role} role on that key`;
      break;
    case 'log':
      ok = holds(principal, 'read');
      what = 'reading the log needs the read role on every key (no prefix)';
      break;
    case 'status':
      ok = principal.grants.length > 0;
      what = 'status needs a role';
      break;
    default:
      ok = holds(principal, 'admin');
      what = `${action.what} needs the admin role`;
  }
  if (ok) return undefined;
  const has = principal.grants.map(describeGrant).join(', ') || 'none';
  return { code: 'forbidden', error: `forbidden: ${what}; user ${JSON.stringify(principal.user)} has ${has}` };
}

/** STATUS_SUMMARY_FIELDS are the status fields any authenticated user sees; the rest (ballot, links, transport, ...) are admin details. */
export const STATUS_SUMMARY_FIELDS = ['pid', 'leader', 'configuration', 'mode', 'decidedIdx', 'keys'] as const;

/** statusView is the status as `principal` may see it: everything for an admin, the summary fields for anyone else. */
export function statusView<S extends object>(principal: Principal, status: S): Partial<S> {
  if (isAdmin(principal)) return status;
  const out: Partial<S> = {};
  for (const k of STATUS_SUMMARY_FIELDS) if (k in status) (out as Record<string, unknown>)[k] = (status as Record<string, unknown>)[k];
  return out;
}
