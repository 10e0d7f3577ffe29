export type { Transport, TransportEndpoint } from './transport.js';
