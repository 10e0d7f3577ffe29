import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type AccessDenied, type Grant, OPEN_PRINCIPAL, type Principal, parseGrant } from './roles.js';

/** TOKEN_PREFIX starts every token `newToken` makes, so a leaked one is easy to spot in logs and code. */
export const TOKEN_PREFIX = 'kvt_';

/**
 * UserRecord is one user of the users file: a name (also the subject CN of its client certificate, if it
 * has one), the SHA-256 of its bearer token (hex; absent for a certificate-only user), and its grants
 * (`read`, `write`, `admin`, `read:<prefix>`, `write:<prefix>`).
 */
export interface UserRecord {
  name: string;
  tokenSha256?: string;
  roles: string[];
}

/** UsersFile is the JSON file `--users` names: `{ "users": [UserRecord, ...] }`. */
export interface UsersFile {
  users: UserRecord[];
}

interface User {
  name: string;
  tokenHash: Buffer | undefined;
  grants: Grant[];
}

/** hashToken is what a users file stores for `token`: the hex SHA-256 of its UTF-8 bytes (tokens are 256-bit random). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** newToken makes a bearer token: `kvt_` and 32 random bytes in base64url. */
export function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** parseUsers checks a users file's content and throws an Error naming the first problem. */
export function parseUsers(x: unknown): User[] {
  const list = typeof x === 'object' && x !== null ? (x as { users?: unknown }).users : undefined;
  if (!Array.isArray(list)) throw new Error('the users file must be {"users": [{"name", "tokenSha256"?, "roles"}, ...]}');
  const names = new Set<string>();
  return list.map((u: unknown, i) => {
    const r = (typeof u === 'object' && u !== null ? u : {}) as Record<string, unknown>;
    const where = `users[${i}]`;
    if (typeof r.name !== 'string' || r.name === '') throw new Error(`${where}.name must be a non-empty string`);
    if (names.has(r.name)) throw new Error(`${where}: user ${JSON.stringify(r.name)} appears twice`);
    names.add(r.name);
    if (r.tokenSha256 !== undefined && (typeof r.tokenSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.tokenSha256))) {
      throw new Error(`${where}.tokenSha256 must be 64 lowercase hex digits (kv token ${r.name} <role> makes one)`);
    }
    if (!Array.isArray(r.roles) || r.roles.length === 0 || !r.roles.every((g) => typeof g === 'string')) {
      throw new Error(`${where}.roles must be a non-empty list such as ["read"], ["write:app/"], ["admin"]`);
    }
    const grants = (r.roles as string[]).map((g) => {
      try {
        return parseGrant(g);
      } catch (err) {
        throw new Error(`${where}.roles: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    return { name: r.name, tokenHash: r.tokenSha256 === undefined ? undefined : Buffer.from(r.tokenSha256, 'hex'), grants };
  });
}

/** Credentials is what a connection or request presents: a bearer token, and/or a verified client certificate's subject CN. */
export interface Credentials {
  token?: string | undefined;
  certificateName?: string | undefined;
}

/**
 * Authenticator turns credentials into a Principal. Open (no users file): everyone is an admin, as in
 * the loopback demo. Otherwise a token is hashed and compared, in constant time, with every user's hash;
 * a verified client certificate stands for the user named by its subject CN.
 */
export class Authenticator {
  private constructor(private readonly users: User[] | undefined) {}

  /** open lets everyone in as admin: for loopback-only setups. */
  static open(): Authenticator {
    return new Authenticator(undefined);
  }

  /** fromUsers enforces the given users file content (see UsersFile); throws on a malformed one. */
  static fromUsers(content: unknown): Authenticator {
    return new Authenticator(parseUsers(content));
  }

  /** fromFile reads and checks a users file. */
  static fromFile(path: string): Authenticator {
    let content: unknown;
    try {
      content = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new Error(`users file ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      return Authenticator.fromUsers(content);
    } catch (err) {
      throw new Error(`users file ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** enforced is false when everyone is let in (no users file). */
  get enforced(): boolean {
    return this.users !== undefined;
  }

  /** authenticate returns who presented `credentials`, or a 401 refusal. A token, when given, wins over the certificate. */
  authenticate(credentials: Credentials): Principal | AccessDenied {
    if (this.users === undefined) return OPEN_PRINCIPAL;
    if (credentials.token !== undefined) {
      const presented = createHash('sha256').update(credentials.token, 'utf8').digest();
      let found: User | undefined;
      for (const u of this.users) {
        // Compare with every user, without stopping early: the time taken does not depend on which matched.
        if (u.tokenHash !== undefined && timingSafeEqual(u.tokenHash, presented) && found === undefined) found = u;
      }
      if (found !== undefined) return { user: found.name, grants: found.grants, via: 'token' };
      return { code: 'unauthenticated', error: 'unauthenticated: the bearer token is not valid' };
    }
    if (credentials.certificateName !== undefined) {
      const u = this.users.find((x) => x.name === credentials.certificateName);
      if (u !== undefined) return { user: u.name, grants: u.grants, via: 'certificate' };
      return { code: 'unauthenticated', error: `unauthenticated: client certificate CN=${JSON.stringify(credentials.certificateName)} is not a user` };
    }
    return { code: 'unauthenticated', error: 'unauthenticated: send a bearer token (Authorization: Bearer <token>) or a client certificate' };
  }
}

/** isDenied tells a refusal from a principal. */
export const isDenied = (x: Principal | AccessDenied): x is AccessDenied => 'code' in x;
