import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS, checkConnectionLimits } from './connection-limits.js';
import type { ClientSurfaceTlsFiles } from './tls-options.js';

/**
 * SecurityArgs are a replica's client-side security settings: `--users FILE` (tokens and roles;
 * without it everyone is admin), `--client-tls-cert/--client-tls-key [--client-tls-ca]` (HTTPS and TLS
 * on the native client port, client certificates from that CA), and the connection limits
 * (`--max-connections --idle-timeout-ms --headers-timeout-ms --request-timeout-ms --frame-timeout-ms`).
 */
export interface SecurityArgs {
  users?: string;
  clientTls?: ClientSurfaceTlsFiles;
  limits: ConnectionLimits;
}

/** parseSecurityArgs reads the security flags from parsed `--name value` pairs; throws an Error naming a bad flag. */
export function parseSecurityArgs(f: Map<string, string>): SecurityArgs {
  const file = (name: string): string | undefined => {
    const v = f.get(name);
    if (v === 'true') throw new Error(`--${name} needs a file`);
    return v;
  };
  const users = file('users');
  const cert = file('client-tls-cert');
  const key = file('client-tls-key');
  const clientCa = file('client-tls-ca');
  if ((cert === undefined) !== (key === undefined)) throw new Error('client TLS needs both --client-tls-cert and --client-tls-key');
  if (clientCa !== undefined && cert === undefined) throw new Error('--client-tls-ca needs --client-tls-cert and --client-tls-key (client certificates are checked over TLS)');
  if (clientCa !== undefined && users === undefined) throw new Error('--client-tls-ca needs --users: a client certificate stands for the user named by its CN, with that user\'s roles');
  const num = (name: string, fallback: number): number => {
    const v = f.get(name);
    return v === undefined ? fallback : Number(v);
  };
  const d = DEFAULT_CONNECTION_LIMITS;
  const limits = checkConnectionLimits({
    maxConnections: num('max-connections', d.maxConnections),
    idleTimeoutMs: num('idle-timeout-ms', d.idleTimeoutMs),
    headersTimeoutMs: num('headers-timeout-ms', d.headersTimeoutMs),
    requestTimeoutMs: num('request-timeout-ms', d.requestTimeoutMs),
    frameTimeoutMs: num('frame-timeout-ms', d.frameTimeoutMs),
  });
  return {
    ...(users !== undefined ? { users } : {}),
    ...(cert !== undefined && key !== undefined ? { clientTls: { cert, key, ...(clientCa !== undefined ? { clientCa } : {}) } } : {}),
    limits,
  };
}

/** isLoopback tells whether `host` is a loopback address or name (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/**
 * exposureWarning is the loud warning a replica prints when a client port listens beyond loopback
 * without authentication (no `--users`): anyone who reaches it can read, write and reconfigure.
 */
export function exposureWarning(security: SecurityArgs, listeners: { name: string; host: string; port: number }[]): string | undefined {
  if (security.users !== undefined) return undefined;
  const exposed = listeners.filter((l) => !isLoopback(l.host));
  if (exposed.length === 0) return undefined;
  const where = exposed.map((l) => `${l.name} ${l.host}:${l.port}`).join(', ');
  return [
    '!!! WARNING: NO AUTHENTICATION ON A NON-LOOPBACK ADDRESS !!!',
    `!!! ${where} accept anyone: whoever reaches them can read every key, write, cut links and reconfigure the cluster.`,
    '!!! Pass --users FILE (tokens and roles) and --client-tls-cert/--client-tls-key, or listen on 127.0.0.1. See docs/security.md.',
  ].join('\n');
}
