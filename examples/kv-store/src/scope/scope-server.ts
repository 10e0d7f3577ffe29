import http from 'node:http';
import type { KvCredentials } from '../client.js';
import { scenarioPlan } from './scenarios.js';
import { buildScopeAssets } from './scope-bundle.js';
import type { ScenarioName, ScopeSnapshot, SeriesPoint, WorkloadMode } from './scope-model.js';
import { type PollResult, StatusPoller, type ScopeTarget } from './scope-poller.js';
import { type ClientAddress, ScopeWorkload } from './scope-workload.js';

/** ProcessControl kills (SIGKILL) and restarts the replica processes the launcher started. */
export interface ProcessControl {
  controls(pid: number): boolean;
  running(pid: number): boolean;
  kill(pid: number): void;
  restart(pid: number): Promise<void>;
  /** The native client address of a running replica, if known. */
  clientAddress(pid: number): ClientAddress | undefined;
}

/** ScopeOptions: the replicas to watch, credentials (an admin token when auth is on), where to listen. */
export interface ScopeOptions {
  targets: ScopeTarget[];
  credentials?: KvCredentials;
  control?: ProcessControl;
  /** Native client addresses of replicas the scope does not control (pid → address). */
  clientAddresses?: Record<number, ClientAddress>;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Milliseconds between polls of every replica's /status (default 500: two updates per second). */
  pollMs?: number;
}

/** Scope is a running scope server. */
export interface Scope {
  url: string;
  close(): Promise<void>;
}

const SERIES_SECONDS = 180;
const NAMES: ScenarioName[] = ['quorum-loss', 'constrained-election', 'chained'];
const MODES: WorkloadMode[] = ['off', 'steady', 'burst'];

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * startScope serves the live scope page (node:http only): the bundled front end, `/events` (Server-
 * Sent Events, one ScopeSnapshot per poll) and the actions the page posts (`/api/...`: cut/heal a
 * link, kill/restart a replica, switch the workload, run a scenario, heal every link). Actions need
 * the `x-scope` header, which a cross-site form cannot send.
 */
export async function startScope(o: ScopeOptions): Promise<Scope> {
  const assets = await buildScopeAssets();
  const credentials = o.credentials ?? {};
  const poller = new StatusPoller(o.targets, credentials);
  const control = o.control;
  const workload = new ScopeWorkload(
    o.targets.map((t) => ({ ...t, client: () => control?.clientAddress(t.pid) ?? o.clientAddresses?.[t.pid] })),
    credentials,
  );
  const streams = new Set<http.ServerResponse>();
  const series: SeriesPoint[] = [];
  let message = 'watching';
  let last: PollResult | undefined;
  let mark: { second: number; at: number; decided: number } | undefined;

  const snapshot = (): ScopeSnapshot => ({
    at: Date.now(), leader: last?.leader ?? null, replicas: last?.replicas ?? [], links: last?.links ?? [], series,
    leaderChanges: poller.leaderChanges, workload: workload.current, message, scenariosAvailable: o.targets.length === 5,
  });
  const controls = (pid: number) => ({ controllable: control?.controls(pid) ?? false, running: control?.running(pid) ?? true });
  let polling = false;
  const pollOnce = async (): Promise<void> => {
    if (polling) return;
    polling = true;
    try {
      last = await poller.poll(controls);
      const now = Date.now();
      const second = Math.floor(now / 1000);
      if (mark === undefined) mark = { second, at: now, decided: last.decided };
      else if (second > mark.second) {
        const rate = Math.max(0, last.decided - mark.decided) / Math.max(0.001, (now - mark.at) / 1000);
        series.push(workload.point(mark.second, Math.round(rate)));
        if (series.length > SERIES_SECONDS) series.shift();
        mark = { second, at: now, decided: Math.max(last.decided, mark.decided) };
      }
      const data = `data: ${JSON.stringify(snapshot())}\n\n`;
      for (const s of streams) s.write(data);
    } finally {
      polling = false;
    }
  };
  const timer = setInterval(() => void pollOnce().catch(() => undefined), o.pollMs ?? 500);

  const setLink = async (from: number, to: number, action: 'cut' | 'heal'): Promise<void> => {
    const c = poller.client(from);
    if (c === undefined) throw new Error(`no replica ${from}`);
    await c.setLink(to, action);
  };
  const healAll = async (): Promise<void> => {
    const pids = o.targets.map((t) => t.pid);
    await Promise.all(pids.flatMap((a) => pids.filter((b) => b !== a).map((b) => setLink(a, b, 'heal').catch(() => undefined))));
  };

  const act = async (path: string): Promise<string> => {
    let m = /^\/api\/links\/(\d+)\/(\d+)\/(cut|heal)$/.exec(path);
    if (m) {
      await setLink(Number(m[1]), Number(m[2]), m[3] as 'cut' | 'heal');
      return `link ${m[1]} → ${m[2]}: ${m[3]}`;
    }
    m = /^\/api\/replicas\/(\d+)\/(kill|restart)$/.exec(path);
    if (m) {
      const pid = Number(m[1]);
      if (control === undefined || !control.controls(pid)) throw new Error(`replica ${pid} was not started by this launcher`);
      if (m[2] === 'kill') control.kill(pid);
      else await control.restart(pid);
      return `replica ${pid}: ${m[2] === 'kill' ? 'killed (SIGKILL)' : 'restarted'}`;
    }
    m = /^\/api\/workload\/(\w+)$/.exec(path);
    if (m) {
      const mode = m[1] as WorkloadMode;
      if (!MODES.includes(mode)) throw new Error(`workload is one of ${MODES.join(', ')}`);
      workload.set(mode);
      return `workload: ${mode}`;
    }
    m = /^\/api\/scenarios\/([\w-]+)$/.exec(path);
    if (m) {
      const name = m[1] as ScenarioName;
      if (!NAMES.includes(name)) throw new Error(`scenarios: ${NAMES.join(', ')}`);
      const plan = scenarioPlan(name, o.targets.map((t) => t.pid), last?.leader ?? null);
      await healAll();
      await Promise.all(plan.cuts.flatMap(([a, b]) => [setLink(a, b, 'cut'), setLink(b, a, 'cut')]));
      return plan.description;
    }
    if (path === '/api/heal-all') {
      await healAll();
      return 'every link healed';
    }
    throw Object.assign(new Error(`no action ${path}`), { status: 404 });
  };

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://scope').pathname;
    if (req.method === 'GET') {
      if (path === '/') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(assets.html);
      if (path === '/app.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(assets.js);
      if (path === '/app.css') return void res.writeHead(200, { 'content-type': 'text/css' }).end(assets.css);
      if (path === '/api/snapshot') return send(res, 200, snapshot());
      if (path === '/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        res.write(`retry: 1000\ndata: ${JSON.stringify(snapshot())}\n\n`);
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
      return send(res, 404, { error: 'not found' });
    }
    if (req.method !== 'POST') return send(res, 405, { error: 'GET or POST' });
    if (req.headers['x-scope'] !== '1') return send(res, 403, { error: 'actions need the x-scope: 1 header' });
    req.resume();
    act(path).then(
      (text) => {
        message = text;
        send(res, 200, { ok: true, message: text });
        void pollOnce().catch(() => undefined);
      },
      (err: unknown) => {
        const text = err instanceof Error ? err.message : String(err);
        message = `failed: ${text}`;
        send(res, (err as { status?: number }).status ?? 400, { error: text });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`scope ${o.host ?? '127.0.0.1'}:${o.port ?? 7200}: ${err.message}`)));
    server.listen(o.port ?? 7200, o.host ?? '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (o.port ?? 7200);
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}/`,
    close: async () => {
      clearInterval(timer);
      await workload.close();
      for (const s of streams) s.end();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
