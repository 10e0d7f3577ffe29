import type { NodeId } from '@omnipaxos/core';
import { Cluster } from './cluster.js';
import { SimulationError } from './cluster-options.js';
import { describeBallot } from './describe.js';
import { applyChained, applyConstrainedElection, applyQuorumLoss } from './scenarios.js';
import { formatScript, parseScript, type ScriptCase } from './script-format.js';

export { formatScript, parseScript, type ScriptCase, ScriptSyntaxError, SEPARATOR } from './script-format.js';

/** ScriptResult is a script run: the output of every case and the script rewritten with it. */
export interface ScriptResult {
  cases: ScriptCase[];
  /** The rendered output of each case, in order. */
  outputs: string[][];
  /** The script with every expected part replaced by the actual output (what UPDATE=1 writes). */
  rewritten: string;
}

/**
 * runScript runs a data-driven interaction script on a simulated cluster and renders each
 * command's output. Commands (PIDs are node ids, NODES a comma list such as `1,2,3`):
 *
 * - `add-nodes N [batch=B] [election=E] [resend=R] [flush=F] [seed=S]`: start the cluster (once).
 * - `tick N [heartbeats]`: advance N ticks; prints the messages delivered (heartbeats only when
 *   asked) and every change of a server's role, phase or promise.
 * - `stabilize`: deliver what is in flight, and what that causes, until the network is quiet.
 * - `propose PID VALUE`, `reconfigure PID NODES`: submit an entry or a stop sign at a server.
 * - `cut A B`, `heal A B`, `heal-all`, `isolate P`, `partition 1,2 3,4,5`: change links; prints
 *   the links that are down. `quorum-loss HUB`, `constrained-election LEADER HUB` and
 *   `chained LEADER FAR` apply the paper's partial-connectivity scenarios.
 * - `crash P`, `restart P` (recover from storage), `fail-write P N` (the N-th write from now fails),
 *   `trim P [IDX]`.
 * - `status`, `log [P]`, `leader`: render the servers' state, logs and the current leader.
 */
export function runScript(text: string): ScriptResult {
  const { cases, trailer } = parseScript(text);
  const runner = new ScriptRunner();
  const outputs = cases.map((c) => {
    let lines: string[];
    try {
      lines = runner.run(c.command);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      lines = [...runner.takeEvents(), `error: ${(err instanceof SimulationError ? msg.split('\n')[0] : msg) ?? ''}`];
    }
    return lines.length === 0 ? ['ok'] : lines.map((l) => (l.trim() === '' ? '.' : l));
  });
  return { cases, outputs, rewritten: formatScript(cases, outputs, trailer) };
}

type Args = { positional: string[]; named: Map<string, string> };

function parseArgs(words: string[]): Args {
  const named = new Map<string, string>();
  const positional: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq > 0) named.set(w.slice(0, eq), w.slice(eq + 1));
    else positional.push(w);
  }
  return { positional, named };
}

function int(s: string | undefined, what: string): number {
  const v = Number(s);
  if (s === undefined || !Number.isSafeInteger(v)) throw new Error(`${what} must be an integer, got ${s ?? 'nothing'}`);
  return v;
}

function nodeList(s: string | undefined, what: string): NodeId[] {
  if (s === undefined) throw new Error(`${what} is missing`);
  return s.split(',').map((x) => int(x, what));
}

/** ScriptRunner holds the cluster between the commands of one script. */
class ScriptRunner {
  private cluster: Cluster<string> | undefined;
  private events: string[] = [];
  private readonly roles = new Map<NodeId, string>();

  /** takeEvents drains the event lines recorded since the last call. */
  takeEvents(): string[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  private get c(): Cluster<string> {
    if (!this.cluster) throw new Error('no cluster yet: start with add-nodes');
    return this.cluster;
  }

  /** noteRoles records a line for every server whose role, phase or promise changed. */
  private noteRoles(): void {
    for (const pid of this.c.nodes) {
      let now = 'crashed';
      if (this.c.isAlive(pid)) {
        const s = this.c.replica(pid).getStatus();
        now = `${s.role}(${s.phase}) promise=${describeBallot(s.promise)}`;
      }
      if (this.roles.get(pid) !== now) {
        if (this.roles.has(pid) && now !== 'crashed') this.events.push(`t${this.c.now} ${pid} is ${now}`);
        this.roles.set(pid, now);
      }
    }
  }

  /** messages returns the recorded events, without heartbeats unless asked for. */
  private messages(heartbeats: boolean): string[] {
    return this.takeEvents().filter((l) => heartbeats || !/ Heartbeat(Request|Reply) /.test(`${l} `));
  }

  private downLinks(): string[] {
    const down = new Set(this.c.links.downLinks());
    const out: string[] = [];
    for (const a of this.c.nodes) {
      for (const b of this.c.nodes) {
        if (a >= b) continue;
        const ab = down.has(`${a}>${b}`);
        const ba = down.has(`${b}>${a}`);
        if (ab && ba) out.push(`${a}-${b}`);
        else if (ab) out.push(`${a}>${b}`);
        else if (ba) out.push(`${b}>${a}`);
      }
    }
    return [`down: ${out.length === 0 ? 'none' : out.join(' ')}`];
  }

  /** run executes one command line and returns its rendered output. */
  run(line: string): string[] {
    const [cmd, ...rest] = line.split(/\s+/);
    const { positional: p, named } = parseArgs(rest);
    if (cmd === 'add-nodes') return this.addNodes(int(p[0], 'N'), named);
    const c = this.c;
    this.takeEvents();
    switch (cmd) {
      case 'tick': {
        const n = int(p[0] ?? '1', 'N');
        for (let i = 0; i < n; i++) {
          c.tick();
          this.noteRoles();
        }
        return this.messages(p.includes('heartbeats'));
      }
      case 'stabilize':
        c.stabilize();
        this.noteRoles();
        return this.messages(p.includes('heartbeats'));
      case 'propose': {
        const value = p.slice(1).join(' ');
        if (value === '') throw new Error('propose needs a value');
        const ok = c.propose(int(p[0], 'PID'), value);
        // Keep what happened besides the echo of the proposal (e.g. a crash by storage failure).
        const events = this.takeEvents().filter((l) => !/^t\d+ propose /.test(l));
        this.noteRoles();
        return [...events, ...this.takeEvents(), ok ? 'ok' : 'refused'];
      }
      case 'reconfigure': {
        const nodes = nodeList(p[1], 'NODES');
        const id = named.has('id') ? int(named.get('id'), 'id') : c.clusterConfig.configurationId + 1;
        return [c.reconfigure(int(p[0], 'PID'), { configurationId: id, nodes }) ? 'ok' : 'refused'];
      }
      case 'cut':
        c.cut(int(p[0], 'A'), int(p[1], 'B'));
        return this.downLinks();
      case 'heal':
        c.heal(int(p[0], 'A'), int(p[1], 'B'));
        return this.downLinks();
      case 'heal-all':
        c.healAll();
        return this.downLinks();
      case 'isolate':
        c.isolate(int(p[0], 'P'));
        return this.downLinks();
      case 'partition':
        c.partition(p.map((g) => nodeList(g, 'group')));
        return this.downLinks();
      case 'quorum-loss':
        applyQuorumLoss(c, int(p[0], 'HUB'));
        return this.downLinks();
      case 'constrained-election':
        applyConstrainedElection(c, int(p[0], 'LEADER'), int(p[1], 'HUB'));
        return this.downLinks();
      case 'chained':
        applyChained(c, int(p[0], 'LEADER'), int(p[1], 'FAR'));
        return this.downLinks();
      case 'crash':
        c.crash(int(p[0], 'P'));
        this.noteRoles();
        return ['ok'];
      case 'restart': {
        const pid = int(p[0], 'P');
        c.restart(pid);
        this.noteRoles();
        this.takeEvents();
        return [c.describe().split('\n').find((l) => l.startsWith(`${pid}:`)) ?? ''];
      }
      case 'fail-write':
        c.storage(int(p[0], 'P')).failNthWriteFromNow(int(p[1], 'N'));
        return ['ok'];
      case 'trim':
        c.replica(int(p[0], 'P')).trim(p[1] === undefined ? undefined : int(p[1], 'IDX'));
        return ['ok'];
      case 'status':
        return c.describe().split('\n');
      case 'log':
        return (p.length > 0 ? p.map((x) => int(x, 'P')) : c.nodes).map((pid) => c.describeLog(pid));
      case 'leader': {
        const l = c.leader();
        const views = c.aliveNodes().map((pid) => {
          const cl = c.replica(pid).getCurrentLeader();
          return `${pid}->${cl ? `${cl.pid}${cl.accepted ? '' : '?'}` : '-'}`;
        });
        return [`leader: ${l ?? 'none'} (followed: ${views.join(' ')})`];
      }
      default:
        throw new Error(`unknown command ${cmd ?? ''}`);
    }
  }

  private addNodes(n: number, named: Map<string, string>): string[] {
    if (this.cluster) throw new Error('add-nodes may run only once per script');
    const opt = (k: string, d: number): number => (named.has(k) ? int(named.get(k), k) : d);
    this.cluster = new Cluster<string>({
      seed: opt('seed', 1),
      nodes: n,
      serverConfig: {
        electionTickTimeout: opt('election', 5),
        resendMessageTickTimeout: opt('resend', 20),
        batchSize: opt('batch', 1),
        flushBatchTickTimeout: opt('flush', 5),
      },
      onEvent: (l) => this.events.push(l),
    });
    this.takeEvents();
    this.noteRoles();
    return this.cluster.describe().split('\n');
  }
}
