import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import type { TLSSocket, TlsOptions } from 'node:tls';

/**
 * ClientSurfaceTls is TLS for the client-facing ports (HTTPS and the native client port): this replica's
 * certificate and key, and optionally the CA whose client certificates authenticate users (by subject CN).
 * PEM contents.
 */
export interface ClientSurfaceTls {
  cert: string | Buffer;
  key: string | Buffer;
  /** Client certificates chaining to this CA are verified; one that does not is refused at the TLS layer. */
  clientCa?: string | Buffer;
}

/** ClientSurfaceTlsFiles names the PEM files of ClientSurfaceTls (`--client-tls-cert --client-tls-key [--client-tls-ca]`). */
export interface ClientSurfaceTlsFiles {
  cert: string;
  key: string;
  clientCa?: string;
}

/** readClientSurfaceTls reads the PEM files named by `files`. */
export function readClientSurfaceTls(files: ClientSurfaceTlsFiles): ClientSurfaceTls {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${what} ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return {
    cert: read('--client-tls-cert', files.cert),
    key: read('--client-tls-key', files.key),
    ...(files.clientCa !== undefined ? { clientCa: read('--client-tls-ca', files.clientCa) } : {}),
  };
}

/**
 * serverTlsOptions are the node:tls server options of a client surface: TLS 1.2 at least, a client
 * certificate requested when a client CA is configured (optional: token users connect without one),
 * and a bound on the TLS handshake.
 */
export function serverTlsOptions(t: ClientSurfaceTls, handshakeTimeoutMs: number): TlsOptions {
  return {
    cert: t.cert,
    key: t.key,
    minVersion: 'TLSv1.2',
    handshakeTimeout: handshakeTimeoutMs,
    ...(t.clientCa !== undefined ? { ca: t.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
  };
}

/**
 * refuseUnverifiedCertificates closes, right after the TLS handshake, every connection that presented a
 * client certificate not chaining to the client CA: a forged certificate fails at the TLS layer, while
 * a client with no certificate may still authenticate with a token.
 */
export function refuseUnverifiedCertificates(server: Server): void {
  server.on('secureConnection', (socket: TLSSocket) => {
    if (!socket.authorized && Object.keys(socket.getPeerCertificate() ?? {}).length > 0) socket.destroy();
  });
}

/** verifiedCertificateName is the subject CN of the verified client certificate on `socket`, if any. */
export function verifiedCertificateName(socket: unknown): string | undefined {
  const s = socket as Partial<TLSSocket>;
  if (s.authorized !== true || typeof s.getPeerCertificate !== 'function') return undefined;
  const cn = s.getPeerCertificate.call(socket as TLSSocket).subject?.CN as string | string[] | undefined;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}

/** ClientTls is what a client presents and trusts: the CA that signed the replicas' client-surface certificates, and its own certificate and key. PEM contents. */
export interface ClientTls {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}
