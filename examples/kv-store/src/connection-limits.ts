import type { Server as HttpServer, ServerOptions as HttpServerOptions } from 'node:http';

/**
 * ConnectionLimits bound what one client connection can hold on a replica's HTTP and native client
 * ports. Every field is in milliseconds except `maxConnections`.
 */
export interface ConnectionLimits {
  /** Concurrent connections per port; more are closed as they arrive (`--max-connections`, default 1024). */
  maxConnections: number;
  /** A connection with nothing received and nothing in flight for this long is closed (`--idle-timeout-ms`, default 120 000). */
  idleTimeoutMs: number;
  /** HTTP: a request's headers must arrive within this from its first byte, or from the connection's start (`--headers-timeout-ms`, default 10 000). */
  headersTimeoutMs: number;
  /** HTTP: a whole request (headers and body) must arrive within this (`--request-timeout-ms`, default 30 000). */
  requestTimeoutMs: number;
  /** Native port: a frame begun must be complete within this; also the TLS handshake bound on both ports (`--frame-timeout-ms`, default 10 000). */
  frameTimeoutMs: number;
}

/** DEFAULT_CONNECTION_LIMITS are the limits when no flag overrides them. */
export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = {
  maxConnections: 1024,
  idleTimeoutMs: 120_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  frameTimeoutMs: 10_000,
};

/** HTTP_KEEP_ALIVE_MS caps how long an idle keep-alive HTTP connection stays open between requests. */
export const HTTP_KEEP_ALIVE_MS = 5_000;

/** checkConnectionLimits throws an Error naming the flag of the first unusable limit. */
export function checkConnectionLimits(l: ConnectionLimits): ConnectionLimits {
  const positive = (v: number, flag: string): void => {
    if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`--${flag} must be a positive integer, got ${v}`);
  };
  positive(l.maxConnections, 'max-connections');
  positive(l.idleTimeoutMs, 'idle-timeout-ms');
  positive(l.headersTimeoutMs, 'headers-timeout-ms');
  positive(l.requestTimeoutMs, 'request-timeout-ms');
  positive(l.frameTimeoutMs, 'frame-timeout-ms');
  if (l.headersTimeoutMs > l.requestTimeoutMs) throw new Error('--headers-timeout-ms must not exceed --request-timeout-ms');
  return l;
}

/** httpServerOptions are node:http's timeouts for `limits` (checked often enough to honour short ones). */
export function httpServerOptions(limits: ConnectionLimits): HttpServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: Math.min(HTTP_KEEP_ALIVE_MS, limits.idleTimeoutMs),
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/** applyHttpLimits caps the server's concurrent connections (`server.maxConnections`). */
export function applyHttpLimits(server: HttpServer, limits: ConnectionLimits): void {
  server.maxConnections = limits.maxConnections;
}
