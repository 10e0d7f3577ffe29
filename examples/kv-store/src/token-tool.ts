import { type UserRecord, hashToken, newToken, parseUsers } from './auth.js';

/**
 * tokenEntry makes a new bearer token for `user` with `roles` and the users-file entry that admits it
 * (only the token's SHA-256 is stored). Throws on an empty name or an unknown role.
 */
export function tokenEntry(user: string, roles: string[]): { token: string; entry: UserRecord } {
  const token = newToken();
  const entry: UserRecord = { name: user, tokenSha256: hashToken(token), roles };
  parseUsers({ users: [entry] });
  return { token, entry };
}
