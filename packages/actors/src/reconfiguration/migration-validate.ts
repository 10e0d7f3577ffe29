import type { MigrationMessage } from './migration-messages.js';

type Obj = Record<string, unknown>;

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNat = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isPid = (x: unknown): x is number => isNat(x) && x > 0;

function isClusterConfig(x: unknown): boolean {
  if (!isObj(x) || !isNat(x.configurationId) || !Array.isArray(x.nodes) || !x.nodes.every(isPid)) return false;
  const fq = x.flexibleQuorum;
  return fq === undefined || (isObj(fq) && isNat(fq.readQuorumSize) && isNat(fq.writeQuorumSize));
}

const CHECKS: Readonly<Record<string, (m: Obj) => boolean>> = {
  ReconfigInit: (m) =>
    isClusterConfig(m.nextConfig) &&
    Array.isArray(m.history) &&
    m.history.every((h: unknown) => isObj(h) && isClusterConfig(h.config) && isNat(h.length)),
  ReconfigAck: (m) => isNat(m.configurationId),
  SegmentRequest: (m) => isNat(m.upTo) && isNat(m.reqId) && isNat(m.from) && isNat(m.to) && m.from <= m.to,
  SegmentReply: (m) =>
    isNat(m.upTo) &&
    isNat(m.reqId) &&
    isNat(m.from) &&
    Array.isArray(m.entries) &&
    (m.snapshot === undefined ||
      (isObj(m.snapshot) && isNat(m.snapshot.configurationId) && isNat(m.snapshot.rawEnd) && isNat(m.snapshot.appEnd) && 'data' in m.snapshot)),
  SegmentUnavailable: (m) => isNat(m.upTo) && isNat(m.reqId) && (m.reason === 'NotReady' || m.reason === 'Compacted'),
};

/**
 * validateMigrationMessage is true when `x` has the structure of a MigrationMessage (`kind:
 * 'Migration'`, positive `from`/`to`, a known `msg.type` with well-formed fields). Entries are
 * application data and only checked to be an array. A transport that validates incoming frames
 * accepts `validateMessage(x) || validateMigrationMessage(x)`.
 */
export function validateMigrationMessage(x: unknown): x is MigrationMessage<unknown> {
  if (!isObj(x) || x.kind !== 'Migration' || !isPid(x.from) || !isPid(x.to)) return false;
  const msg = x.msg;
  if (!isObj(msg) || typeof msg.type !== 'string' || !Object.hasOwn(CHECKS, msg.type)) return false;
  const check = CHECKS[msg.type];
  return check !== undefined && check(msg);
}
