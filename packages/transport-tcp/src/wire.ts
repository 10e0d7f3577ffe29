import { Packr } from 'msgpackr';
import type { NodeId } from '@omnipaxos/core';

/** PROTOCOL_VERSION is bumped on any incompatible change of the frames below. */
export const PROTOCOL_VERSION = 1;

/**
 * Hello is the first frame each side sends: who it is (`pid`), which cluster and configuration it
 * belongs to, and whom it meant to reach (`to`). The dialer sends it first; the acceptor answers with
 * its own Hello once it accepts, or with a Reject.
 */
export interface Hello {
  kind: 'Hello';
  protocol: number;
  clusterId: string;
  configurationId: number | null;
  pid: NodeId;
  to: NodeId;
}

/** Reject tells a dialer why its handshake was refused, just before the acceptor closes the socket. */
export interface Reject {
  kind: 'Reject';
  reason: string;
}

/**
 * packr encodes and decodes every frame payload as plain MessagePack: no record structures shared
 * across frames (`useRecords: false`), so each frame decodes on its own and a corrupt frame cannot
 * poison later ones; binary values are copied out of the socket buffers (`copyBuffers`).
 */
const packr = new Packr({ useRecords: false, moreTypes: false, copyBuffers: true, mapsAsObjects: true });

/** encodePayload serializes a value to MessagePack; throws if it cannot be encoded. */
export function encodePayload(value: unknown): Buffer {
  return packr.pack(value);
}

/** decodePayload parses one frame payload; throws on malformed or trailing bytes. */
export function decodePayload(payload: Buffer): unknown {
  return packr.unpack(payload);
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** isHello is true when `x` is a well-formed Hello frame. */
export function isHello(x: unknown): x is Hello {
  return (
    isObj(x) &&
    x.kind === 'Hello' &&
    typeof x.protocol === 'number' &&
    typeof x.clusterId === 'string' &&
    (x.configurationId === null || (typeof x.configurationId === 'number' && Number.isSafeInteger(x.configurationId))) &&
    typeof x.pid === 'number' &&
    Number.isSafeInteger(x.pid) &&
    x.pid > 0 &&
    typeof x.to === 'number' &&
    Number.isSafeInteger(x.to)
  );
}

/** isReject is true when `x` is a Reject frame. */
export function isReject(x: unknown): x is Reject {
  return isObj(x) && x.kind === 'Reject' && typeof x.reason === 'string';
}
