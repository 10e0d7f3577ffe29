export { PID_CN_PREFIX, PID_URI_PREFIX, type PeerCertificateNames, certificatePidRefusal, pidsOfCertificate } from './cert-pid.js';
export { Backoff, type BackoffOptions, type RandomSource } from './backoff.js';
export { FRAME_HEADER_BYTES, type FrameBatch, FrameDecoder, FrameError, encodeFrame } from './frame-codec.js';
export type { LinkState, PeerAddress, PeerLinkStats, SendFailure, TransportStats } from './link-stats.js';
export {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_QUEUE,
  type Carried,
  type KindValidators,
  type TcpTlsOptions,
  type TcpTransportOptions,
} from './options.js';
export { SendQueue } from './send-queue.js';
export { silentLogger } from './silent-logger.js';
export { type LinkStateListener, type SendFailureListener, TcpTransport } from './tcp-transport.js';
export { describeInvalidMessage, validateMessage } from './validate-message.js';
export { type Hello, PROTOCOL_VERSION, type Reject, decodePayload, encodePayload } from './wire.js';
