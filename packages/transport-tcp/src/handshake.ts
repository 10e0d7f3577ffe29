import type { NodeId } from '@omnipaxos/core';
import { type Hello, PROTOCOL_VERSION, isHello } from './wire.js';

/** HandshakeExpectation is what one side requires of the Hello it receives. */
export interface HandshakeExpectation {
  clusterId: string;
  /** Our own pid: the Hello's `to` must name it. */
  self: NodeId;
  /** The pid the Hello must claim, when we dialed a known peer. */
  expectedPid?: NodeId;
  /** For an acceptor: returns why `pid` may not dial us, or undefined if it may. */
  mayDial?: (pid: NodeId) => string | undefined;
}

/** HandshakeResult is the accepted Hello, or why it was refused. */
export type HandshakeResult = { ok: true; hello: Hello } | { ok: false; reason: string };

/** makeHello builds the Hello frame a node sends to `to`. */
export function makeHello(clusterId: string, configurationId: number | undefined, pid: NodeId, to: NodeId): Hello {
  return { kind: 'Hello', protocol: PROTOCOL_VERSION, clusterId, configurationId: configurationId ?? null, pid, to };
}

/**
 * checkHello decides whether a received frame completes a handshake: it must be a Hello of our
 * protocol version and cluster, addressed to us, from the expected pid (dialer side) or from a peer
 * allowed to dial us (acceptor side). Configuration ids are carried and reported, not enforced.
 */
export function checkHello(frame: unknown, expect: HandshakeExpectation): HandshakeResult {
  if (!isHello(frame)) return { ok: false, reason: 'first frame is not a valid Hello' };
  if (frame.protocol !== PROTOCOL_VERSION) {
    return { ok: false, reason: `protocol version ${frame.protocol}, expected ${PROTOCOL_VERSION}` };
  }
  if (frame.clusterId !== expect.clusterId) {
    return { ok: false, reason: `wrong cluster ${JSON.stringify(frame.clusterId.slice(0, 64))}` };
  }
  if (frame.to !== expect.self) return { ok: false, reason: `Hello is addressed to pid ${frame.to}, not to us` };
  if (expect.expectedPid !== undefined && frame.pid !== expect.expectedPid) {
    return { ok: false, reason: `peer claims pid ${frame.pid}, expected ${expect.expectedPid}` };
  }
  if (expect.mayDial !== undefined) {
    const refusal = expect.mayDial(frame.pid);
    if (refusal !== undefined) return { ok: false, reason: refusal };
  }
  return { ok: true, hello: frame };
}
