/**
 * compare-liferaft — decided entries/s of 3 replicas in one process: @markwylde/liferaft 1.4.0
 * (in-memory transport; its log on LevelDB in a temp folder, its default, and on a small in-memory
 * level store) against our core driven by a plain loop and through the actors (createReplica on
 * the Router), same entry size, measured in the same run. Liferaft's duplicate commit events are
 * counted. When liferaft cannot be loaded, its rows are skipped with the reason: never faked.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStorage, type Message, OmniPaxos } from '@omnipaxos/core';
import { type ReplicatedEntry, Router, createReplica } from '@omnipaxos/actors';

const ENTRY_BYTES = Number(process.env.BENCH_ENTRY_BYTES ?? 128);
const LIFERAFT_ENTRIES = Number(process.env.BENCH_LIFERAFT_ENTRIES ?? 2_000);
const OUR_ENTRIES = Number(process.env.BENCH_ENTRIES ?? 50_000);
const NODES = [1, 2, 3];
const WINDOW = 1000;
const PAYLOAD = 'x'.repeat(ENTRY_BYTES);

/** Entry is what every system replicates: an id and a payload of ENTRY_BYTES characters. */
interface Entry {
  id: number;
  payload: string;
}

/** Row is one line of the result table. */
interface Row {
  system: string;
  entries: number;
  committed: number;
  seconds: number;
  perSec: number;
  note: string;
}

// ---- liferaft: the slice of its (untyped, CommonJS) API that this script uses ----

type Callback = (err?: Error | null, ...rest: unknown[]) => void;
interface Packet {
  type: string;
}
interface LiferaftNode {
  address: string;
  state: number;
  on(event: string, fn: (...args: unknown[]) => void): void;
  emit(event: 'data', packet: Packet, reply: (data?: Packet) => void): void;
  join(address: string, write: (packet: Packet, fn: Callback) => void): unknown;
  command(command: Entry): Promise<void>;
  end(): boolean;
}
interface LiferaftCtor {
  new (options: Record<string, unknown>): LiferaftNode;
  LEADER: number;
}
type LevelAdapter = (path: string) => object;
interface Liferaft {
  Raft: LiferaftCtor;
  Log: unknown;
  leveldown: LevelAdapter;
  memory: LevelAdapter;
}

/** loadLiferaft loads liferaft, its Log and leveldown, or returns why it cannot. */
function loadLiferaft(): Liferaft | string {
  try {
    const req = createRequire(import.meta.url);
    const main = req.resolve('@markwylde/liferaft');
    const lr = createRequire(main);
    const version = (lr('./package.json') as { version: string }).version;
    if (version !== '1.4.0') return `@markwylde/liferaft is ${version}, not 1.4.0`;
    const leveldown = lr('leveldown') as LevelAdapter;
    const abstract = createRequire(lr.resolve('leveldown'))('abstract-leveldown') as AbstractLevel;
    return { Raft: lr(main) as LiferaftCtor, Log: lr('./log.js'), leveldown, memory: memoryAdapter(abstract) };
  } catch (err) {
    return `@markwylde/liferaft 1.4.0 could not be loaded (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

type Base = new (...args: unknown[]) => { _nextTick(fn: Callback, ...args: unknown[]): void };
interface AbstractLevel {
  AbstractLevelDOWN: Base;
  AbstractIterator: Base;
}
interface IterOptions {
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  reverse?: boolean;
  limit?: number;
}

/** memoryAdapter builds a minimal in-memory abstract-leveldown store (string keys and values). */
function memoryAdapter({ AbstractLevelDOWN, AbstractIterator }: AbstractLevel): LevelAdapter {
  class MemIterator extends AbstractIterator {
    private i = 0;
    constructor(db: object, private readonly rows: [string, string][]) {
      super(db);
    }
    _next(cb: Callback): void {
      const row = this.rows[this.i++];
      if (row) this._nextTick(cb, null, row[0], row[1]);
      else this._nextTick(cb);
    }
  }
  /** lowerBound returns the first position in sorted `keys` whose key is >= k (or > k when strict). */
  const lowerBound = (keys: string[], k: string, strict: boolean): number => {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = keys[mid] as string;
      if (m < k || (strict && m === k)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  class MemDown extends AbstractLevelDOWN {
    private readonly data = new Map<string, string>();
    /** The keys in order (liferaft's keys are fixed-width hex, so appends land at the end). */
    private readonly keys: string[] = [];
    _put(key: string, value: string, _o: object, cb: Callback): void {
      const k = String(key);
      if (!this.data.has(k)) this.keys.splice(lowerBound(this.keys, k, false), 0, k);
      this.data.set(k, String(value));
      this._nextTick(cb);
    }
    _get(key: string, _o: object, cb: Callback): void {
      const v = this.data.get(String(key));
      if (v === undefined) this._nextTick(cb, Object.assign(new Error('NotFound'), { notFound: true }));
      else this._nextTick(cb, null, v);
    }
    _del(key: string, _o: object, cb: Callback): void {
      const k = String(key);
      if (this.data.delete(k)) this.keys.splice(lowerBound(this.keys, k, false), 1);
      this._nextTick(cb);
    }
    _iterator(o: IterOptions): MemIterator {
      const from = o.gt !== undefined ? lowerBound(this.keys, String(o.gt), true) : o.gte !== undefined ? lowerBound(this.keys, String(o.gte), false) : 0;
      const to = o.lt !== undefined ? lowerBound(this.keys, String(o.lt), false) : o.lte !== undefined ? lowerBound(this.keys, String(o.lte), true) : this.keys.length;
      const limit = o.limit !== undefined && o.limit >= 0 ? o.limit : Infinity;
      const picked = o.reverse ? this.keys.slice(Math.max(from, to - limit), to).reverse() : this.keys.slice(from, Math.min(to, from + limit));
      return new MemIterator(this, picked.map((k) => [k, this.data.get(k) as string]));
    }
  }
  return () => new MemDown();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** liferaftRun: 3 liferaft nodes wired by an in-memory transport; the leader commits `total` commands. */
async function liferaftRun(lib: Liferaft, storage: 'leveldb' | 'memory', total: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'liferaft-bench-'));
  const addrs = NODES.map((n) => `n${n}`);
  const byAddr = new Map<string, LiferaftNode>();
  const commits = new Map<string, Map<number, number>>();
  const lastNewCommit = new Map<string, number>(); // when each node last committed a new id
  let errors = 0;
  for (const address of addrs) {
    const node = new lib.Raft({
      address,
      Log: lib.Log,
      adapter: storage === 'leveldb' ? lib.leveldown : lib.memory,
      path: join(dir, address),
      'election min': '150 ms',
      'election max': '300 ms',
      heartbeat: '50 ms',
    });
    const seen = new Map<number, number>();
    commits.set(address, seen);
    node.on('commit', (c) => {
      const id = (c as Entry).id;
      const n = seen.get(id) ?? 0;
      seen.set(id, n + 1);
      if (n === 0) lastNewCommit.set(address, performance.now());
    });
    node.on('error', () => (errors += 1)); // stale-term and not-a-candidate notices are routine
    byAddr.set(address, node);
  }
  // In-memory transport: hand the packet to the target on the next turn of the event loop.
  for (const [address, node] of byAddr) {
    for (const peer of addrs) {
      if (peer === address) continue;
      node.join(peer, (packet, fn) => {
        setImmediate(() => byAddr.get(peer)?.emit('data', packet, (reply) => fn(undefined, reply)));
      });
    }
  }
  let leader: LiferaftNode | undefined;
  for (let waited = 0; !leader && waited < 10_000; waited += 10) {
    await sleep(10);
    const leaders = [...byAddr.values()].filter((n) => n.state === lib.Raft.LEADER);
    if (leaders.length === 1) leader = leaders[0];
  }
  if (!leader) throw new Error('liferaft elected no leader within 10 s');
  const seen = commits.get(leader.address) as Map<number, number>;
  const start = performance.now();
  // command() resolves once the entry is stored and sent; commits arrive as events. Yield to the
  // event loop now and then, as a server taking requests from sockets would: with the in-memory
  // store command() never does, and the starved timers would depose the leader.
  for (let id = 0; id < total; id++) {
    await leader.command({ id, payload: PAYLOAD });
    if (id % 16 === 15) await new Promise((r) => setImmediate(r));
  }
  // Wait for the last commit; give up after 5 s without a new one (a stall is reported, not hidden).
  while (seen.size < total && performance.now() - (lastNewCommit.get(leader.address) ?? start) < 5_000) await sleep(5);
  const seconds = ((lastNewCommit.get(leader.address) ?? start) - start) / 1000;
  await sleep(300); // let followers learn the commit index from a heartbeat
  let duplicates = 0;
  for (const m of commits.values()) for (const n of m.values()) duplicates += n - 1;
  const followerCommits = addrs.filter((a) => a !== leader.address).map((a) => commits.get(a)?.size ?? 0);
  for (const node of byAddr.values()) node.end();
  await sleep(50);
  rmSync(dir, { recursive: true, force: true });
  const note = [
    `${duplicates} duplicate commit events (all nodes)`,
    `followers committed ${followerCommits.join('/')}`,
    ...(seen.size < total ? [`STALLED: ${seen.size} of ${total} committed`] : []),
    `${errors} error events`,
  ].join('; ');
  return { system: `liferaft 1.4.0, log on ${storage === 'leveldb' ? 'LevelDB (temp dir)' : 'in-memory level store'}`, entries: total, committed: seen.size, seconds, perSec: seconds > 0 ? seen.size / seconds : 0, note };
}

/** coreRun drives 3 OmniPaxos replicas with a plain loop, messages copied with structuredClone. */
function coreRun(total: number, batchSize: number): Row {
  const replicas = new Map(
    NODES.map((pid) => [
      pid,
      new OmniPaxos<Entry>({ clusterConfig: { configurationId: 1, nodes: NODES }, serverConfig: { pid, batchSize } }, new MemoryStorage<Entry>()),
    ]),
  );
  const exchange = (): boolean => {
    let moved = false;
    for (const r of replicas.values()) {
      for (const m of r.takeOutgoingMessages() as Message<Entry>[]) {
        moved = true;
        replicas.get(m.to)?.handleIncoming(structuredClone(m));
      }
    }
    return moved;
  };
  let leader: OmniPaxos<Entry> | undefined;
  while (!leader) {
    for (const r of replicas.values()) r.tick();
    while (exchange());
    leader = [...replicas.values()].find((r) => r.getCurrentLeader()?.pid === r.pid && r.getCurrentLeader()?.accepted);
  }
  const start = performance.now();
  let proposed = 0;
  while (proposed < total) {
    const upTo = Math.min(total, proposed + WINDOW);
    for (; proposed < upTo; proposed++) leader.append({ id: proposed, payload: PAYLOAD });
    while (leader.getDecidedIdx() < proposed) if (!exchange()) for (const r of replicas.values()) r.tick();
  }
  const seconds = (performance.now() - start) / 1000;
  const note = `batchSize ${batchSize}, window ${WINDOW}, MemoryStorage`;
  return { system: `omnipaxos core, plain loop, batch ${batchSize}`, entries: total, committed: leader.getDecidedIdx(), seconds, perSec: total / seconds, note };
}

/** actorsRun appends through createReplica on the in-process Router (tickMs 2). */
async function actorsRun(total: number, batchSize: number): Promise<Row> {
  const router = new Router<ReplicatedEntry<Entry>>();
  const replicas = NODES.map((pid) =>
    createReplica<Entry>({ pid, nodes: NODES, storage: new MemoryStorage<ReplicatedEntry<Entry>>(), transport: router, tickMs: 2, server: { batchSize } }),
  );
  for (let waited = 0; waited < 10_000; waited += 5) {
    const l = replicas[0]?.getLeader();
    if (l !== undefined && replicas.every((r) => r.getLeader() === l)) break;
    await sleep(5);
  }
  const leader = replicas.find((r) => r.pid === replicas[0]?.getLeader()) ?? replicas[0];
  if (!leader) throw new Error('no leader');
  await leader.append({ id: -1, payload: PAYLOAD });
  const start = performance.now();
  for (let proposed = 0; proposed < total; ) {
    const batch: Promise<{ idx: number }>[] = [];
    for (let i = 0; i < WINDOW && proposed < total; i++) batch.push(leader.append({ id: proposed++, payload: PAYLOAD }));
    await Promise.all(batch);
  }
  const seconds = (performance.now() - start) / 1000;
  for (const r of replicas) await r.stop();
  await router.close();
  const note = `append() promises resolved on decide; batchSize ${batchSize}, window ${WINDOW}`;
  return { system: `omnipaxos actors (createReplica), batch ${batchSize}`, entries: total, committed: total, seconds, perSec: total / seconds, note };
}

const rows: Row[] = [];
const lib = loadLiferaft();
const skip = typeof lib === 'string' ? lib : undefined;
if (typeof lib !== 'string') {
  await liferaftRun(lib, 'memory', Math.min(200, LIFERAFT_ENTRIES)); // warm-up
  for (const storage of ['leveldb', 'memory'] as const) {
    try {
      rows.push(await liferaftRun(lib, storage, LIFERAFT_ENTRIES));
    } catch (err) {
      console.log(`liferaft (${storage}) failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
coreRun(Math.min(5_000, OUR_ENTRIES), 1); // warm-up
for (const b of [1, 64]) rows.push(coreRun(OUR_ENTRIES, b));
try {
  rows.push(await actorsRun(OUR_ENTRIES, 64));
} catch (err) {
  console.log(`actors run failed: ${err instanceof Error ? err.message : String(err)}`);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`compare-liferaft — 3 replicas in one process, ${ENTRY_BYTES}-byte payload entries, Node ${process.version}, ${new Date().toISOString()}`);
if (skip) console.log(`SKIPPED liferaft: ${skip}. No liferaft numbers are reported.`);
console.log('| system | entries | committed | seconds | decided entries/s | notes |');
console.log('|---|---:|---:|---:|---:|---|');
for (const r of rows) console.log(`| ${r.system} | ${fmt(r.entries)} | ${fmt(r.committed)} | ${r.seconds.toFixed(2)} | ${fmt(r.perSec)} | ${r.note} |`);
const best = (prefix: string) => rows.filter((r) => r.system.startsWith(prefix)).reduce<Row | undefined>((a, r) => (a && a.perSec >= r.perSec ? a : r), undefined);
// The baseline is liferaft's best run that committed everything (a stalled run has no rate).
const lr = rows.filter((r) => r.system.startsWith('liferaft') && r.committed === r.entries).reduce<Row | undefined>((a, r) => (a && a.perSec >= r.perSec ? a : r), undefined);
const ratio = (r: Row | undefined) => (r && lr && lr.perSec > 0 ? Number((r.perSec / lr.perSec).toFixed(1)) : null);
const core1 = rows.find((r) => r.system === 'omnipaxos core, plain loop, batch 1');
console.log(
  lr
    ? `ratio vs ${lr.system}: core batch 1 ${ratio(core1)}x, core best ${ratio(best('omnipaxos core'))}x, actors ${ratio(best('omnipaxos actors'))}x`
    : `ratio: n/a (${skip ? 'liferaft skipped' : 'no liferaft run committed every entry'})`,
);
console.log(JSON.stringify({ coreVsLiferaft: ratio(best('omnipaxos core')), coreBatch1VsLiferaft: ratio(core1), actorsVsLiferaft: ratio(best('omnipaxos actors')) }));
process.exit(0);
