import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { NodeId } from '@omnipaxos/core';

/** PID_URI_PREFIX starts the URI subjectAltName that binds a member certificate to a pid: `urn:omnipaxos:pid:3`. */
export const PID_URI_PREFIX = 'urn:omnipaxos:pid:';
/** PID_CN_PREFIX starts the subject common name that binds a member certificate to a pid: `CN=replica-3`. */
export const PID_CN_PREFIX = 'replica-';

/** PeerCertificateNames is what a certificate says about its holder: its subject CN(s) and subjectAltName text. */
export interface PeerCertificateNames {
  subject?: { CN?: string | string[] } | null;
  subjectaltname?: string | undefined;
}

const pidOf = (text: string): NodeId | undefined => {
  if (!/^[1-9][0-9]{0,15}$/.test(text)) return undefined;
  const pid = Number(text);
  return Number.isSafeInteger(pid) ? pid : undefined;
};

/**
 * pidsOfCertificate lists the pids a certificate names: every URI SAN `urn:omnipaxos:pid:<n>` and a
 * subject `CN=replica-<n>`. A well-made member certificate names exactly one.
 */
export function pidsOfCertificate(cert: PeerCertificateNames): NodeId[] {
  const pids = new Set<NodeId>();
  const cns = cert.subject?.CN;
  for (const cn of cns === undefined ? [] : Array.isArray(cns) ? cns : [cns]) {
    if (cn.startsWith(PID_CN_PREFIX)) {
      const pid = pidOf(cn.slice(PID_CN_PREFIX.length));
      if (pid !== undefined) pids.add(pid);
    }
  }
  for (const name of (cert.subjectaltname ?? '').split(',')) {
    const entry = name.trim();
    if (entry.startsWith(`URI:${PID_URI_PREFIX}`)) {
      const pid = pidOf(entry.slice(4 + PID_URI_PREFIX.length));
      if (pid !== undefined) pids.add(pid);
    }
  }
  return [...pids];
}

/** certificatePidRefusal says why `cert` may not speak for `pid` (it names no pid, another one, or several), or undefined if it may. */
export function certificatePidRefusal(cert: PeerCertificateNames, pid: NodeId): string | undefined {
  const pids = pidsOfCertificate(cert);
  if (pids.length === 0) {
    return `certificate names no pid (needs CN=${PID_CN_PREFIX}<pid> or URI SAN ${PID_URI_PREFIX}<pid>), peer claims pid ${pid}`;
  }
  if (pids.length > 1) return `certificate names several pids (${pids.join(', ')}), peer claims pid ${pid}`;
  if (pids[0] !== pid) return `certificate is for pid ${pids[0]}, peer claims pid ${pid}`;
  return undefined;
}

/** socketPidRefusal checks the certificate a TLS peer presented on `socket` against the pid it claims. */
export function socketPidRefusal(socket: Socket, pid: NodeId): string | undefined {
  const getPeerCertificate = (socket as Partial<TLSSocket>).getPeerCertificate;
  if (typeof getPeerCertificate !== 'function') return 'not a TLS connection';
  const cert = getPeerCertificate.call(socket, false) as PeerCertificateNames | null;
  return certificatePidRefusal(cert ?? {}, pid);
}
