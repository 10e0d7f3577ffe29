import type http from 'node:http';
import type { KvNode } from './kv-node.js';
import { type ChangeRequest, MembershipError } from './membership.js';

/** MEMBERSHIP_PATHS are the admin-only routes this module serves (`/members`, `/members/<pid>`, `/reconfigure`). */
export const MEMBERSHIP_PATHS = /^\/(members(\/\d+)?|reconfigure)$/;

type Send = (res: http.ServerResponse, status: number, body: unknown) => void;
type ReadBody = (req: http.IncomingMessage) => Promise<unknown>;

const num = (x: unknown, name: string): number | undefined => {
  if (x === undefined) return undefined;
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) throw new MembershipError(`${name} must be a non-negative integer (ms)`, 400);
  return x;
};

function options(body: Record<string, unknown>): Omit<ChangeRequest, 'nodes' | 'peers'> {
  const waitMs = num(body.waitMs, 'waitMs');
  const decideMs = num(body.decideMs, 'decideMs');
  if (body.force !== undefined && typeof body.force !== 'boolean') throw new MembershipError('force must be true or false', 400);
  return { force: body.force === true, ...(waitMs !== undefined ? { waitMs } : {}), ...(decideMs !== undefined ? { decideMs } : {}) };
}

function peersOf(x: unknown): Record<number, string> {
  if (x === undefined) return {};
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new MembershipError('peers must be {"<pid>": "host:port", ...}', 400);
  const out: Record<number, string> = {};
  for (const [p, a] of Object.entries(x)) {
    if (!/^\d+$/.test(p) || typeof a !== 'string') throw new MembershipError('peers must be {"<pid>": "host:port", ...}', 400);
    out[Number(p)] = a;
  }
  return out;
}

/**
 * handleMembership serves the membership routes (the routing layer guards them as admin-only):
 * `GET /members` (configuration, addresses, links, the change running, this replica's catch-up);
 * `POST /members {"pid", "address", "waitMs"?, "force"?}` adds a replica; `DELETE /members/<pid>[?force=1]`
 * removes one; `POST /reconfigure {"nodes", "peers"?, "force"?}` moves to any validated configuration.
 * A change answers 200 once the next configuration is decided, 202 if it is still pending, 400 when
 * refused, 409 while another change runs. Returns false for other paths.
 */
export async function handleMembership(node: KvNode, req: http.IncomingMessage, res: http.ServerResponse, url: URL, send: Send, readBody: ReadBody): Promise<boolean> {
  if (!MEMBERSHIP_PATHS.test(url.pathname)) return false;
  try {
    if (url.pathname === '/members' && req.method === 'GET') {
      send(res, 200, node.members());
      return true;
    }
    let nodes: number[];
    let peers: Record<number, string> = {};
    let opts: Omit<ChangeRequest, 'nodes' | 'peers'>;
    const current = node.members().configuration.nodes;
    if (url.pathname === '/members' && req.method === 'POST') {
      const body = (await readBody(req)) as Record<string, unknown>;
      const pid = body.pid;
      if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) throw new MembershipError('POST /members needs {"pid": <positive integer>, "address": "host:port"}', 400);
      if (current.includes(pid)) throw new MembershipError(`replica ${pid} is already a member of {${current.join(',')}}`, 400);
      if (typeof body.address !== 'string') throw new MembershipError('POST /members needs {"pid": <positive integer>, "address": "host:port"}', 400);
      nodes = [...current, pid];
      peers = { [pid]: body.address };
      opts = options(body);
    } else if (url.pathname.startsWith('/members/') && req.method === 'DELETE') {
      const pid = Number(url.pathname.slice('/members/'.length));
      if (!current.includes(pid)) throw new MembershipError(`replica ${pid} is not a member of {${current.join(',')}}`, 400);
      nodes = current.filter((p) => p !== pid);
      if (nodes.length === 0) throw new MembershipError(`replica ${pid} is the only member: a cluster keeps at least one`, 400);
      opts = { force: url.searchParams.get('force') === '1' || url.searchParams.get('force') === 'true' };
    } else if (url.pathname === '/reconfigure' && req.method === 'POST') {
      const body = (await readBody(req)) as Record<string, unknown>;
      if (!Array.isArray(body.nodes)) throw new MembershipError('reconfigure needs {"nodes": [pid, ...], "peers"?: {"pid": "host:port"}, "force"?: true}', 400);
      nodes = body.nodes as number[];
      peers = peersOf(body.peers);
      opts = options(body);
    } else {
      send(res, 405, { error: `${req.method ?? '?'} is not supported on ${url.pathname}` });
      return true;
    }
    const outcome = await node.reconfigure(nodes, peers, opts);
    send(res, outcome.decided ? 200 : 202, outcome);
  } catch (err) {
    if (err instanceof MembershipError) send(res, err.status, { error: err.message });
    else throw err;
  }
  return true;
}
