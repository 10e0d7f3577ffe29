import type { Logger } from '@omnipaxos/core';

/** silentLogger discards everything: the transport's default, so a library never prints on its own. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
