import type { KvCommand, KvResult } from './kv-command.js';
import type { KvStatus } from './kv-node.js';
import { checkKey } from './http-request.js';

/** MAX_CLIENT_FRAME_BYTES caps one client-protocol frame payload (either direction): 1 MiB. */
export const MAX_CLIENT_FRAME_BYTES = 1 << 20;

/** PROTOCOL_ERROR_ID is the id of an error that is about the connection, not one request; the server closes it next. */
export const PROTOCOL_ERROR_ID = -1;

/** ClientOp is an operation of the client protocol: the four log commands, plus `status` and `auth` (not logged). */
export type ClientOp = KvCommand['op'] | 'status' | 'auth';

/** AuthRequest authenticates the connection with a bearer token; later requests run as that user. */
export interface AuthRequest {
  op: 'auth';
  token: string;
}

/** ClientRequest is one request frame as a client sends it: a log command, a status query or an auth, tagged with the client's id. */
export type ClientRequest = { id: number } & (KvCommand | { op: 'status' } | AuthRequest);

/** ParsedRequest is a validated request: its id and what to do (the command is what goes into the log, without the id). */
export interface ParsedRequest {
  id: number;
  command: KvCommand | { op: 'status' } | AuthRequest;
}

/**
 * ClientErrorCode: `bad-request` (the request is invalid; do not retry it), `unavailable` (not decided:
 * retry, maybe elsewhere), `unauthenticated` (no or bad credentials: HTTP's 401) or `forbidden` (the
 * user's roles do not allow it: HTTP's 403).
 */
export type ClientErrorCode = 'bad-request' | 'unavailable' | 'unauthenticated' | 'forbidden';

/** ClientErrorResponse answers a request that failed; `leader` is the leader this replica knows, when it is another replica. */
export interface ClientErrorResponse {
  id: number;
  error: string;
  code: ClientErrorCode;
  leader?: number;
}

/** ClientResponse is one response frame: a command's log index and result, a status (summary fields only without admin), an auth's user and roles, or an error. */
export type ClientResponse =
  | ({ id: number; idx: number } & KvResult)
  | { id: number; op: 'status'; status: KvStatus }
  | { id: number; op: 'auth'; user: string; roles: string[] }
  | ClientErrorResponse;

const KEYED_OPS = new Set(['put', 'get', 'delete', 'cas']);
const ERROR_CODES = new Set<string>(['bad-request', 'unavailable', 'unauthenticated', 'forbidden']);
const isStrOrNull = (x: unknown): x is string | null => x === null || typeof x === 'string';

/**
 * parseClientRequest validates a decoded request frame. It returns the request, or an error with the
 * request's id when the id was readable (answer it) or `PROTOCOL_ERROR_ID` when not (close the connection).
 */
export function parseClientRequest(x: unknown): ParsedRequest | { id: number; error: string } {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return { id: PROTOCOL_ERROR_ID, error: 'a request must be a map' };
  const r = x as Record<string, unknown>;
  const id = r.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return { id: PROTOCOL_ERROR_ID, error: 'a request needs an id: a non-negative integer' };
  const op = r.op;
  if (op === 'status') return { id, command: { op } };
  if (op === 'auth') return typeof r.token === 'string' ? { id, command: { op, token: r.token } } : { id, error: 'auth needs a token: a string' };
  if (typeof op !== 'string' || !KEYED_OPS.has(op)) return { id, error: `unknown op ${JSON.stringify(op) ?? 'undefined'} (put, get, delete, cas, status, auth)` };
  const key = r.key;
  if (typeof key !== 'string') return { id, error: `${op} needs a key: a string` };
  const refused = checkKey(key);
  if (refused !== undefined) return { id, error: refused };
  switch (op) {
    case 'put':
      return typeof r.value === 'string' ? { id, command: { op, key, value: r.value } } : { id, error: 'put needs a value: a string' };
    case 'cas':
      return isStrOrNull(r.expected) && isStrOrNull(r.value)
        ? { id, command: { op, key, expected: r.expected, value: r.value } }
        : { id, error: 'cas needs expected and value: each a string or null (absent)' };
    default:
      return { id, command: { op: op === 'get' ? 'get' : 'delete', key } };
  }
}

/** isClientResponse is the client's structural check of a decoded response frame (id, and a result or an error). */
export function isClientResponse(x: unknown): x is ClientResponse {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  if (typeof r.id !== 'number') return false;
  if (typeof r.error === 'string') return typeof r.code === 'string' && ERROR_CODES.has(r.code);
  if (r.op === 'auth') return typeof r.user === 'string' && Array.isArray(r.roles);
  return r.op === 'status' ? typeof r.status === 'object' && r.status !== null : typeof r.idx === 'number' && typeof r.op === 'string';
}
