import type { NodeId } from '@omnipaxos/core';
import { Cluster, HistoryRecorder, type KvOperation, type KvResult, type Prng } from '../src/index.js';

/** KvCommand is a log entry of the replicated key-value store: an operation under a unique id. */
export interface KvCommand {
  opId: string;
  /** Which submission of the operation this is (retries reuse the op id). */
  attempt: number;
  op: KvOperation;
}

/**
 * KvStateMachine applies decided commands in log order. An op id is applied at most once: a
 * later copy (a retry, or a duplicate decision) is skipped and answered with the first result.
 */
export class KvStateMachine {
  private readonly data = new Map<string, string>();
  private readonly results = new Map<string, KvResult>();
  /** Decided commands skipped because their op id was already applied. */
  skipped = 0;

  /** apply executes `cmd` (unless its op id was applied before) and returns its result. */
  apply(cmd: KvCommand): KvResult {
    if (this.results.has(cmd.opId)) {
      this.skipped += 1;
      return this.results.get(cmd.opId);
    }
    const op = cmd.op;
    let result: KvResult;
    if (op.f === 'put') this.data.set(op.key, op.value);
    else if (op.f === 'delete') this.data.delete(op.key);
    else if (op.f === 'get') result = this.data.get(op.key);
    else {
      result = this.data.get(op.key) === op.expected;
      if (result) this.data.set(op.key, op.value);
    }
    this.results.set(cmd.opId, result);
    return result;
  }

  /** peek reads a key's value outside the log (only the broken store of the negative control does this). */
  peek(key: string): string | undefined {
    return this.data.get(key);
  }

  /** resultOf returns the result of an applied op id, or `missing` when it was not applied. */
  resultOf(opId: string): { applied: true; result: KvResult } | { applied: false } {
    return this.results.has(opId) ? { applied: true, result: this.results.get(opId) } : { applied: false };
  }
}

/** JepsenKvOptions shape one run. */
export interface JepsenKvOptions {
  seed: number;
  nodes: 3 | 5;
  clients: number;
  keys: number;
  /** Ticks with faults and clients, then ticks with healed links and clients. */
  faultTicks: number;
  calmTicks: number;
  duplicates: boolean;
  /**
   * A deliberately broken store for the negative control: reads are answered from the server's
   * local state, not through the log, so a deposed leader or a lagging follower serves stale values.
   */
  localReads?: boolean;
}

/** JepsenKvRun is what a run produced: the history and counts. */
export interface JepsenKvRun {
  recorder: HistoryRecorder;
  crashes: number;
  decided: number;
  /** Submissions after a timeout (same op id, another server). */
  retries: number;
  /** Decided copies of an already applied op id that the state machine skipped (on the last server). */
  skippedDuplicates: number;
}

const ELECTION = 5;
const ATTEMPT_TIMEOUT = 5 * ELECTION;
const MAX_ATTEMPTS = 3;

interface Pending {
  opId: string;
  op: KvOperation;
  attempt: number;
  server: NodeId;
  incarnation: number;
  deadline: number;
  /** Some attempt entered a replica's log, so the op may be applied. */
  accepted: boolean;
}

function randomOp(prng: Prng, key: string, client: number, n: number): KvOperation {
  const r = prng.next();
  const value = `c${client}-${n}`;
  if (r < 0.35) return { f: 'get', key };
  if (r < 0.65) return { f: 'put', key, value };
  if (r < 0.72) return { f: 'delete', key };
  return { f: 'cas', key, expected: `c${prng.int(4)}-${prng.int(Math.max(1, n))}`, value };
}

/**
 * runJepsenKv runs concurrent clients against a key-value store replicated by OmniPaxos in the
 * simulator while links are cut (full and partial partitions), made lossy, and servers crash and
 * restart. A client submits an operation at one server and gets `ok` when that server applies the
 * decided command; on a timeout it retries at another server under the same op id, and gives up
 * with `info` (or `fail` when no attempt ever entered a log). Every event goes to a HistoryRecorder.
 */
export function runJepsenKv(o: JepsenKvOptions): JepsenKvRun {
  const c = new Cluster<KvCommand>({
    seed: o.seed,
    nodes: o.nodes,
    serverConfig: { electionTickTimeout: ELECTION, resendMessageTickTimeout: 4 * ELECTION, batchSize: 4, flushBatchTickTimeout: 2 },
    allowDuplicateDecisions: o.duplicates,
    keyOf: (e) => `${e.opId}#${e.attempt}`,
    reorder: 0.2,
  });
  const prng = c.prng.fork();
  const recorder = new HistoryRecorder();
  const machines = new Map<NodeId, { sm: KvStateMachine; applied: number; incarnation: number }>();
  for (const pid of c.nodes) machines.set(pid, { sm: new KvStateMachine(), applied: 0, incarnation: 0 });
  const clients: (Pending | undefined)[] = Array.from({ length: o.clients }, () => undefined);
  const down = new Set<NodeId>();
  let crashes = 0;
  let issued = 0;
  let retries = 0;

  const machine = (pid: NodeId) => machines.get(pid) as { sm: KvStateMachine; applied: number; incarnation: number };
  const submit = (p: Pending, server: NodeId): void => {
    p.server = server;
    p.incarnation = machine(server).incarnation;
    p.deadline = c.now + ATTEMPT_TIMEOUT;
    if (!c.isAlive(server)) return; // a lost request: the client learns nothing until its timeout
    const known = machine(server).sm.resultOf(p.opId);
    if (known.applied) return finish(p, known.result); // the server's dedup table answers at once
    if (o.localReads && p.op.f === 'get') return finish(p, machine(server).sm.peek(p.op.key));
    if (c.propose(server, { opId: p.opId, attempt: p.attempt, op: p.op })) p.accepted = true;
  };
  const finish = (p: Pending, result: KvResult): void => {
    recorder.ok(p.opId, result);
    clients[clients.indexOf(p)] = undefined;
  };
  const applyDecided = (): void => {
    for (const pid of c.aliveNodes()) {
      const m = machine(pid);
      const r = c.replica(pid);
      const decided = r.getDecidedIdx();
      if (decided <= m.applied) continue;
      for (const e of r.readEntries(m.applied, decided) ?? []) {
        if (e.kind !== 'Decided') continue;
        const result = m.sm.apply(e.entry);
        const p = clients.find((x) => x?.opId === e.entry.opId);
        if (p && p.server === pid && p.incarnation === m.incarnation) finish(p, result);
      }
      m.applied = decided;
    }
  };
  const restart = (pid: NodeId): void => {
    c.restart(pid);
    const m = machine(pid);
    machines.set(pid, { sm: new KvStateMachine(), applied: 0, incarnation: m.incarnation + 1 });
  };
  const driveClients = (issue: boolean): void => {
    clients.forEach((p, i) => {
      if (p === undefined) {
        if (!issue || !prng.chance(0.4)) return;
        const op = randomOp(prng, `k${prng.int(o.keys)}`, i, issued++);
        const fresh: Pending = { opId: recorder.invoke(i, op), op, attempt: 0, server: 0, incarnation: 0, deadline: 0, accepted: false };
        clients[i] = fresh;
        submit(fresh, prng.pick(c.nodes));
      } else if (c.now >= p.deadline) {
        if (p.attempt + 1 >= MAX_ATTEMPTS) {
          if (p.accepted) recorder.info(p.opId);
          else recorder.fail(p.opId); // no attempt entered any log: it cannot take effect
          clients[i] = undefined;
          return;
        }
        p.attempt += 1;
        retries += 1;
        submit(p, prng.pick(c.nodes.filter((n) => n !== p.server)));
      }
    });
  };

  for (let t = 0; t < o.faultTicks; t++) {
    injectFault(c, prng, o, down, restart, () => (crashes += 1));
    driveClients(true);
    c.tick();
    applyDecided();
  }
  c.healAll();
  for (const pid of [...down]) restart(pid);
  down.clear();
  for (let t = 0; t < o.calmTicks; t++) {
    driveClients(true);
    c.tick();
    applyDecided();
  }
  for (let t = 0; t < MAX_ATTEMPTS * ATTEMPT_TIMEOUT + 1 && clients.some((p) => p !== undefined); t++) {
    driveClients(false);
    c.tick();
    applyDecided();
  }
  recorder.closeAllAsInfo();
  const skippedDuplicates = machine(c.nodes[c.nodes.length - 1] as NodeId).sm.skipped;
  return { recorder, crashes, decided: c.checker.decidedCount(), retries, skippedDuplicates };
}

function injectFault(
  c: Cluster<KvCommand>,
  prng: Prng,
  o: JepsenKvOptions,
  down: Set<NodeId>,
  restart: (pid: NodeId) => void,
  crashed: () => void,
): void {
  const r = prng.next();
  const n = c.nodes.length;
  if (r < 0.02) {
    const [a, b] = prng.shuffle([...c.nodes]) as [NodeId, NodeId];
    c.cut(a, b);
  } else if (r < 0.04) {
    const [a, b] = prng.shuffle([...c.nodes]) as [NodeId, NodeId];
    c.heal(a, b);
  } else if (r < 0.046) {
    // Partial connectivity: a random set of links stays up.
    const pairs: [NodeId, NodeId][] = [];
    for (const a of c.nodes) for (const b of c.nodes) if (a < b && prng.chance(0.6)) pairs.push([a, b]);
    c.setConnectivity(pairs);
  } else if (r < 0.05) {
    const ids = prng.shuffle([...c.nodes]);
    const cut = prng.range(1, n - 1);
    c.partition([ids.slice(0, cut), ids.slice(cut)]);
  } else if (r < 0.054) {
    c.links.defaults = {
      drop: prng.chance(0.6) ? prng.next() * 0.25 : 0,
      duplicate: o.duplicates ? prng.next() * 0.1 : 0,
      minDelay: 0,
      maxDelay: prng.range(0, 4),
    };
  } else if (r < 0.06 && down.size < Math.floor((n - 1) / 2)) {
    const victim = prng.pick(c.aliveNodes());
    c.crash(victim);
    down.add(victim);
    crashed();
  } else if (r < 0.075 && down.size > 0) {
    const back = prng.pick([...down]);
    down.delete(back);
    restart(back);
  } else if (r < 0.08) {
    c.healAll();
  }
}
