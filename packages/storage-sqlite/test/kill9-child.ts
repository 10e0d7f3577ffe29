/**
 * One replica process of the kill -9 test, driven like the actors' Paxos driver: after a batch of
 * messages and ticks it reports newly decided entries to the parent at once (with
 * `deferLeaderAccept` they are held durably by a quorum), sends the leader's AcceptDecide / Decide
 * before its own flush, flushes, then sends the rest and tells the leader what is now durable.
 */
import { OmniPaxos, type SnapshotLogic, sendsBeforeFlush } from '@omnipaxos/core';
import { SqliteStorage } from '@omnipaxos/storage-sqlite';
import type { Dump, Entry, FromChild, Snap, ToChild } from './kill9-protocol.js';

const pid = Number(process.env.KILL9_PID);
const nodes = (process.env.KILL9_NODES ?? '').split(',').map(Number);
const path = process.env.KILL9_DB ?? '';
const useSnapshots = process.env.KILL9_SNAPSHOTS === '1';

const send = (m: FromChild): void => {
  process.send?.(m);
};
const fail = (err: unknown): never => {
  send({ t: 'error', pid, message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  process.exit(2);
};

const snapshotLogic: SnapshotLogic<Entry, Snap> = {
  create: (entries) => entries.slice(),
  merge: (base, delta) => base.concat(delta),
};

let storage: SqliteStorage<Entry, Snap>;
let op: OmniPaxos<Entry, Snap>;
try {
  storage = SqliteStorage.open<Entry, Snap>({ path, clusterId: 'kill9', pid });
  op = new OmniPaxos<Entry, Snap>(
    { clusterConfig: { configurationId: 1, nodes }, serverConfig: { pid, electionTickTimeout: 4, resendMessageTickTimeout: 10 } },
    storage,
    { deferLeaderAccept: true, ...(useSnapshots ? { snapshot: snapshotLogic } : {}) },
  );
} catch (err) {
  fail(err);
}

/** reported is the decided index already reported to the parent. */
let reported = storage!.getCompactedIdx();
let scheduled = false;

function drain(): void {
  scheduled = false;
  try {
    const out = op.takeOutgoingMessages();
    const mark = op.persistMark();
    const decided = op.getDecidedIdx();
    if (decided > reported) {
      const from = Math.max(reported, op.getCompactedIdx());
      const entries = storage.getEntries(from, decided);
      send({ t: 'decided', pid, from, entries, leader: op.getCurrentLeader()?.pid ?? 0 });
      reported = decided;
    }
    const early: typeof out = [];
    const held: typeof out = [];
    for (const m of out) (held.length === 0 && (m.kind === 'BLE' || sendsBeforeFlush(m)) ? early : held).push(m);
    if (early.length > 0) send({ t: 'out', msgs: early });
    storage.flushSync(); // the barrier: what follows is durable
    if (held.length > 0) send({ t: 'out', msgs: held });
    op.persisted(mark);
    if (op.getDecidedIdx() > reported) schedule();
    const failure = op.getFailure();
    if (failure) fail(failure);
  } catch (err) {
    fail(err);
  }
}

function schedule(): void {
  if (!scheduled) {
    scheduled = true;
    setImmediate(drain);
  }
}

function dump(): void {
  const c = op.getCompactedIdx();
  const decidedIdx = op.getDecidedIdx();
  const snap = storage.getSnapshot();
  const prefix: (Entry | null)[] = snap && snap.length === c ? snap : new Array<null>(c).fill(null);
  const d: Dump = { decidedIdx, compactedIdx: c, entries: [...prefix, ...storage.getEntries(c, decidedIdx)] };
  if (snap && snap.length !== c) d.badSnapshot = snap;
  send({ t: 'dump', pid, dump: d });
}

process.on('message', (raw: ToChild) => {
  try {
    switch (raw.t) {
      case 'msg':
        op.handleIncoming(raw.m);
        break;
      case 'propose':
        for (const e of raw.entries) op.append(e);
        break;
      case 'reconnected':
        op.reconnected(raw.pid);
        break;
      case 'trim':
      case 'snapshot':
        try {
          if (raw.t === 'trim') op.trim();
          else op.snapshot(undefined, false);
          send({ t: 'compacted', pid, kind: raw.t, idx: op.getCompactedIdx() });
        } catch {
          // CompactionError (not leader, nothing decided by all): the parent tries again later.
        }
        break;
      case 'dump':
        drain();
        dump();
        return;
    }
  } catch (err) {
    fail(err);
  }
  schedule();
});

setInterval(() => {
  try {
    op.tick();
  } catch (err) {
    fail(err);
  }
  schedule();
}, 4);

send({ t: 'ready', pid, decidedIdx: op!.getDecidedIdx() });
process.on('disconnect', () => process.exit(0));
