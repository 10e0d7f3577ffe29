import net from 'node:net';
import tls from 'node:tls';
import type { PeerAddress } from './link-stats.js';
import type { TcpTlsOptions } from './options.js';

/** ConnectingSocket is a socket being opened, and the event that says it is ready for the handshake. */
export interface ConnectingSocket {
  socket: net.Socket;
  readyEvent: 'connect' | 'secureConnect';
}

/** openSocket dials `address`, over mutual TLS when `options` are given. */
export function openSocket(address: PeerAddress, options: TcpTlsOptions | undefined): ConnectingSocket {
  if (options === undefined) {
    return { socket: net.connect({ host: address.host, port: address.port }), readyEvent: 'connect' };
  }
  const connectOptions: tls.ConnectionOptions = {
    host: address.host,
    port: address.port,
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  };
  if (net.isIP(address.host) === 0) connectOptions.servername = address.host;
  if (options.verifyHostname === false) connectOptions.checkServerIdentity = () => undefined;
  return { socket: tls.connect(connectOptions), readyEvent: 'secureConnect' };
}

/**
 * createListener makes the server that accepts peers: plain TCP, or TLS that requires a client
 * certificate chaining to the cluster CA (the TLS layer refuses strangers before any frame is read).
 * `onTlsError` hears each refused TLS handshake.
 */
export function createListener(
  options: TcpTlsOptions | undefined,
  onSocket: (socket: net.Socket) => void,
  onTlsError: (err: Error, socket: net.Socket) => void,
): net.Server {
  if (options === undefined) return net.createServer(onSocket);
  const server = tls.createServer(
    {
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    onSocket,
  );
  server.on('tlsClientError', onTlsError);
  return server;
}
