import type { KvCommand } from './kv-command.js';

/**
 * INTERNAL_PREFIX marks the keys that hold the cluster's own records (`@peer/<pid>` = a replica's
 * replication address, `@membership/change` = the running membership change). They travel through the
 * log like any entry, so every replica applies them in order, but clients cannot write them: they
 * change only through the membership operations, which validate them first.
 */
export const INTERNAL_PREFIX = '@';

/** PEER_KEY prefixes the keys that record a replica's replication address (`@peer/4` = `host:port`). */
export const PEER_KEY = '@peer/';

/** CHANGE_KEY holds the membership change in progress (JSON of a MembershipChange), or nothing. */
export const CHANGE_KEY = '@membership/change';

/** isInternalKey tells whether `key` is one of the cluster's own records. */
export function isInternalKey(key: string): boolean {
  return key.startsWith(INTERNAL_PREFIX);
}

/** ReservedKeyError refuses a client's write to an internal key (HTTP 403, native code `forbidden`). */
export class ReservedKeyError extends Error {
  override readonly name = 'ReservedKeyError';
  /** status is the HTTP status the API answers with. */
  readonly status = 403;
  constructor(readonly key: string) {
    super(
      `key ${JSON.stringify(key.slice(0, 80))} is reserved: keys starting with "${INTERNAL_PREFIX}" hold the cluster's own records ` +
        '(peer addresses, membership) and change only through `kv member add|remove` (POST /members, DELETE /members/<pid>)',
    );
  }
}

/** assertClientCommand throws ReservedKeyError when a client's command writes an internal key (reads are allowed). */
export function assertClientCommand(command: KvCommand): void {
  if (command.op !== 'get' && isInternalKey(command.key)) throw new ReservedKeyError(command.key);
}
