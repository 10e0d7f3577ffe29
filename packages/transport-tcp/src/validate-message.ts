// The structural message check lives in the core (the replica applies it to every incoming message);
// the transport re-exports it for the frames it decodes.
export { describeInvalidMessage, validateMessage } from '@omnipaxos/core';
