import type { Message, NodeId } from '@omnipaxos/core';
import type { Entry } from './helpers.js';

/** Rng is a seeded source of numbers in [0, 1). */
export type Rng = () => number;

/** int returns an integer in [0, n). */
export function int(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

function pick<X>(rng: Rng, xs: readonly X[]): X {
  const x = xs[int(rng, xs.length)];
  if (x === undefined) throw new Error('pick from an empty list');
  return x;
}

function ballot(rng: Rng) {
  return { configId: int(rng, 3), n: int(rng, 50), priority: int(rng, 3), pid: int(rng, 6) };
}

function seq(rng: Rng) {
  return { session: int(rng, 5), counter: int(rng, 100) };
}

function entries(rng: Rng): Entry[] {
  return Array.from({ length: int(rng, 4) }, () => ({ key: `k${int(rng, 100)}`, value: int(rng, 1000) }));
}

function stopSign(rng: Rng) {
  return { nextConfig: { configurationId: 2, nodes: [1, 2, 3].slice(0, 2 + int(rng, 2)) }, metadata: new Uint8Array([int(rng, 256)]) };
}

function logSync(rng: Rng) {
  return { suffix: entries(rng), syncIdx: int(rng, 100), ...(rng() < 0.3 ? { stopSign: stopSign(rng) } : {}) };
}

/** validMessage builds a random well-formed replica message of any Paxos or BLE type. */
export function validMessage(rng: Rng, from: NodeId, to: NodeId): Message<Entry> {
  const n = ballot(rng);
  const k = int(rng, 14);
  const paxos = (msg: Extract<Message<Entry>, { kind: 'SequencePaxos' }>['msg']): Message<Entry> => ({ kind: 'SequencePaxos', from, to, msg });
  switch (k) {
    case 0: return paxos({ type: 'PrepareReq', n });
    case 1: return paxos({ type: 'Prepare', n, decidedIdx: int(rng, 9), nAccepted: ballot(rng), acceptedIdx: int(rng, 9) });
    case 2: return paxos({ type: 'Promise', n, nAccepted: ballot(rng), decidedIdx: 1, acceptedIdx: 2, ...(rng() < 0.5 ? { logSync: logSync(rng) } : {}) });
    case 3: return paxos({ type: 'AcceptSync', n, seqNum: seq(rng), decidedIdx: int(rng, 9), logSync: logSync(rng) });
    case 4: return paxos({ type: 'AcceptDecide', n, seqNum: seq(rng), decidedIdx: int(rng, 9), entries: entries(rng) });
    case 5: return paxos({ type: 'Accepted', n, acceptedIdx: int(rng, 9) });
    case 6: return paxos({ type: 'NotAccepted', n });
    case 7: return paxos({ type: 'Decide', n, seqNum: seq(rng), decidedIdx: int(rng, 9) });
    case 8: return paxos({ type: 'ProposalForward', entries: entries(rng) });
    case 9: return paxos({ type: 'Compaction', compaction: rng() < 0.5 ? { kind: 'Trim', idx: int(rng, 9) } : { kind: 'Snapshot' } });
    case 10: return paxos({ type: 'AcceptStopSign', n, seqNum: seq(rng), stopSign: stopSign(rng) });
    case 11: return paxos({ type: 'ForwardStopSign', stopSign: stopSign(rng) });
    case 12: return { kind: 'BLE', from, to, msg: { type: 'HeartbeatRequest', round: int(rng, 99) } };
    default: return { kind: 'BLE', from, to, msg: { type: 'HeartbeatReply', round: int(rng, 99), ballot: n, leader: ballot(rng), happy: rng() < 0.5 } };
  }
}

const ODD_VALUES: readonly unknown[] = [
  null, -1, 1.5, 2 ** 53, 'x', '', true, [], {}, [1, 2], { type: 'PrepareReq' }, NaN, -0, 0, 7, 'SequencePaxos', 'BLE', 'Decide',
];

/** mutateObject changes, deletes or retypes one random field somewhere inside a deep copy of `value`. */
export function mutateObject(rng: Rng, value: unknown): unknown {
  const root: unknown = structuredClone(value);
  let node: unknown = root;
  for (let depth = 0; depth < 6; depth++) {
    if (typeof node !== 'object' || node === null || ArrayBuffer.isView(node)) break;
    const obj = node as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 0) break;
    const key = pick(rng, keys);
    const child = obj[key];
    if (typeof child === 'object' && child !== null && !ArrayBuffer.isView(child) && rng() < 0.6) {
      node = child;
      continue;
    }
    const r = rng();
    if (r < 0.25) delete obj[key];
    else if (r < 0.35) obj[`${key}_${int(rng, 9)}`] = pick(rng, ODD_VALUES); // an extra field is harmless
    else obj[key] = pick(rng, ODD_VALUES);
    break;
  }
  return root;
}

/** mutateBytes flips, inserts, deletes, duplicates or truncates bytes of a copy of `payload`. */
export function mutateBytes(rng: Rng, payload: Buffer): Buffer {
  const bytes = [...payload];
  const rounds = 1 + int(rng, 4);
  for (let i = 0; i < rounds; i++) {
    const at = int(rng, Math.max(1, bytes.length));
    switch (int(rng, 5)) {
      case 0: bytes[at] = (bytes[at] ?? 0) ^ (1 << int(rng, 8)); break;
      case 1: bytes.splice(at, 0, int(rng, 256)); break;
      case 2: bytes.splice(at, 1 + int(rng, 4)); break;
      case 3: bytes.splice(at, 0, ...bytes.slice(at, at + 1 + int(rng, 8))); break;
      default: bytes.length = Math.max(1, at); break;
    }
  }
  if (bytes.length === 0) bytes.push(int(rng, 256));
  return Buffer.from(bytes);
}

/** randomBytes returns `n` seeded random bytes. */
export function randomBytes(rng: Rng, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => int(rng, 256)));
}
