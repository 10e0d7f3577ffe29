import { type ChildProcess, fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Dump, Entry, FromChild, ToChild } from './kill9-protocol.js';

const CHILD = fileURLToPath(new URL('./kill9-child.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** sleep waits `ms` milliseconds (real processes: the parent paces itself, it asserts on no timing). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * loadFactor is how much slower than an idle machine this one runs now, measured: the 1-minute load
 * average per core (at least 1). On a 2-core machine at load 20 it is 10, and every wait below is 10
 * times as patient.
 */
export function loadFactor(): number {
  const perCore = (loadavg()[0] ?? 0) / Math.max(1, cpus().length);
  return Math.min(50, Math.max(1, perCore));
}

/**
 * waitFor polls `cond` until it holds. It gives up with `what` once `budgetMs` of *idle-machine time*
 * has passed: each poll's real interval is divided by the current loadFactor, so a loaded machine gets
 * proportionally longer. A bound for a stuck run, never a timing assertion.
 */
export async function waitFor(what: string, cond: () => boolean, budgetMs = 30_000): Promise<void> {
  let spent = 0;
  let last = Date.now();
  let polls = 0;
  while (!cond()) {
    await sleep(5);
    const now = Date.now();
    spent += (now - last) / loadFactor();
    last = now;
    polls++;
    if (spent > budgetMs) {
      throw new Error(`timed out waiting for ${what} (${Math.round(budgetMs / 1000)} s scaled by load ${loadFactor().toFixed(1)}, ${polls} polls)`);
    }
  }
}

interface Replica {
  proc: ChildProcess;
  ready: boolean;
  decidedIdx: number;
  dump: Dump | undefined;
}

/**
 * Kill9Cluster runs 3 replica processes, relays their messages over IPC, and acts as the client:
 * it proposes unique integers and records each entry a replica reported decided (after its flush)
 * as acknowledged. Any two reports for one index must agree.
 */
export class Kill9Cluster {
  readonly replicas = new Map<number, Replica>();
  /** acked maps an absolute index to the entry acknowledged there. */
  readonly acked = new Map<number, Entry>();
  readonly violations: string[] = [];
  readonly refusals: string[] = [];
  readonly compactions: string[] = [];
  leader = 0;
  private next = 1;
  private readonly outstanding = new Map<Entry, number>();
  private proposer: NodeJS.Timeout | undefined;

  constructor(
    readonly nodes: number[],
    readonly dbPath: (pid: number) => string,
    readonly snapshots: boolean,
  ) {}

  /** maxAcked is the highest acknowledged index, -1 if none. */
  get maxAcked(): number {
    let m = -1;
    for (const idx of this.acked.keys()) if (idx > m) m = idx;
    return m;
  }

  /** start launches a replica from its database and waits until it reports ready. */
  async start(pid: number): Promise<void> {
    const proc = fork(CHILD, [], {
      cwd: REPO_ROOT,
      execArgv: ['--conditions=source', '--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      env: {
        ...process.env,
        KILL9_PID: String(pid),
        KILL9_NODES: this.nodes.join(','),
        KILL9_DB: this.dbPath(pid),
        KILL9_SNAPSHOTS: this.snapshots ? '1' : '0',
      },
    });
    const r: Replica = { proc, ready: false, decidedIdx: 0, dump: undefined };
    this.replicas.set(pid, r);
    let exited = false;
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    proc.on('exit', (code, signal) => {
      exited = true;
      if (signal !== 'SIGKILL') this.refusals.push(`replica ${pid} exited (code ${code}, signal ${signal}): ${stderr}`);
    });
    proc.on('message', (m: FromChild) => this.onMessage(pid, r, m));
    await waitFor(`replica ${pid} to start`, () => r.ready || exited, 60_000);
    if (!r.ready) throw new Error(`replica ${pid} refused to start: ${this.refusals.join('; ')}`);
    for (const [other, o] of this.replicas) if (other !== pid && o.ready) this.send(other, { t: 'reconnected', pid });
  }

  /** restart starts a killed replica and waits until it decides a new entry (it rejoined the cluster). */
  async restart(pid: number, label: string): Promise<void> {
    const before = this.acked.size;
    await this.start(pid);
    const r = this.replicas.get(pid) as Replica;
    const from = r.decidedIdx;
    await waitFor(`replica ${pid} to rejoin (${label})`, () => this.acked.size > before && r.decidedIdx > from, 60_000);
  }

  /** someLeader returns the last reported leader, or a live replica if none was reported. */
  someLeader(): number {
    if (this.leader && this.replicas.get(this.leader)?.ready) return this.leader;
    return [...this.replicas].find(([, r]) => r.ready)?.[0] ?? (this.nodes[0] as number);
  }

  /** kill sends SIGKILL to a replica and waits until the process is gone. */
  async kill(pid: number): Promise<void> {
    const r = this.replicas.get(pid);
    if (!r) return;
    r.ready = false;
    const gone = new Promise<void>((res) => {
      if (r.proc.exitCode !== null || r.proc.signalCode !== null) res();
      else r.proc.once('exit', () => res());
    });
    r.proc.kill('SIGKILL');
    await gone;
  }

  /** send delivers a command to a live replica; messages to a dead one are lost, like on a network. */
  send(pid: number, m: ToChild): void {
    const r = this.replicas.get(pid);
    if (!r?.ready || !r.proc.connected) return;
    r.proc.send(m, (err) => {
      if (err) r.ready = false;
    });
  }

  private onMessage(pid: number, r: Replica, m: FromChild): void {
    switch (m.t) {
      case 'ready':
        r.ready = true;
        r.decidedIdx = m.decidedIdx;
        return;
      case 'out':
        for (const msg of m.msgs) this.send(msg.to, { t: 'msg', m: msg });
        return;
      case 'decided':
        if (m.leader) this.leader = m.leader;
        m.entries.forEach((e, k) => this.ack(pid, m.from + k, e));
        r.decidedIdx = Math.max(r.decidedIdx, m.from + m.entries.length);
        return;
      case 'compacted':
        this.compactions.push(`${m.kind} to ${m.idx} by ${pid}`);
        return;
      case 'dump':
        r.dump = m.dump;
        return;
      case 'error':
        this.refusals.push(`replica ${pid}: ${m.message}`);
        return;
    }
  }

  private ack(pid: number, idx: number, e: Entry): void {
    const prev = this.acked.get(idx);
    if (prev === undefined) this.acked.set(idx, e);
    else if (prev !== e) this.violations.push(`index ${idx}: replica ${pid} reports ${e}, acknowledged ${prev}`);
    this.outstanding.delete(e);
  }

  /** startProposing keeps up to `inFlight` proposals outstanding, sent to the leader (or any replica). */
  startProposing(inFlight: number): void {
    this.proposer = setInterval(() => {
      // A proposal lost with a killed replica is given up after a while (longer on a loaded machine), so
      // the cluster keeps `inFlight` live proposals; this paces the client and asserts nothing.
      const now = Date.now();
      const patience = 2_000 * loadFactor();
      for (const [e, at] of this.outstanding) if (now - at > patience) this.outstanding.delete(e);
      const live = [...this.replicas].filter(([, r]) => r.ready).map(([p]) => p);
      if (live.length === 0) return;
      const target = live.includes(this.leader) ? this.leader : (live[this.next % live.length] as number);
      const batch: Entry[] = [];
      while (this.outstanding.size < inFlight) {
        const e = this.next++;
        this.outstanding.set(e, now);
        batch.push(e);
      }
      if (batch.length > 0) this.send(target, { t: 'propose', entries: batch });
    }, 5);
  }

  /** stopProposing stops new proposals; outstanding ones may still be decided. */
  stopProposing(): void {
    if (this.proposer) clearInterval(this.proposer);
    this.proposer = undefined;
  }

  /** dumpAll asks every replica for its log and waits for the answers. */
  async dumpAll(): Promise<Map<number, Dump>> {
    for (const r of this.replicas.values()) r.dump = undefined;
    for (const pid of this.replicas.keys()) this.send(pid, { t: 'dump' });
    await waitFor('dumps', () => [...this.replicas.values()].every((r) => r.dump !== undefined), 30_000);
    return new Map([...this.replicas].map(([pid, r]) => [pid, r.dump as Dump]));
  }

  /** stop kills every replica. */
  async stop(): Promise<void> {
    this.stopProposing();
    for (const pid of this.replicas.keys()) await this.kill(pid);
  }
}
