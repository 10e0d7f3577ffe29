import type http from 'node:http';

/** MAX_BODY_BYTES caps a request body of the HTTP API: 1 MiB (larger: 413). */
export const MAX_BODY_BYTES = 1 << 20;

/** HttpError is a client error the API answers with `status` and `{ error: message }` (plus `headers`, e.g. Allow). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** ROUTES lists each path of the API with the methods it answers; another method gets 405 with `Allow`. */
const ROUTES: { path: RegExp; methods: string[] }[] = [
  { path: /^\/status$/, methods: ['GET'] },
  { path: /^\/log$/, methods: ['GET'] },
  { path: /^\/kv\/[^/]*$/, methods: ['GET', 'PUT', 'DELETE'] },
  { path: /^\/kv\/[^/]*\/cas$/, methods: ['POST'] },
  { path: /^\/links\/[^/]+\/(cut|heal)$/, methods: ['POST'] },
  { path: /^\/members$/, methods: ['GET', 'POST'] },
  { path: /^\/members\/[^/]+$/, methods: ['DELETE'] },
  { path: /^\/reconfigure$/, methods: ['POST'] },
];

/** checkRoute throws 404 for a path the API does not serve and 405 (with `Allow`) for a method it does not answer there. */
export function checkRoute(method: string | undefined, pathname: string): void {
  const route = ROUTES.find((r) => r.path.test(pathname));
  if (!route) throw new HttpError(404, `no such path: ${pathname.slice(0, 200)} (see docs/kv-store.md for the API)`);
  if (!route.methods.includes(method ?? '')) {
    const allow = route.methods.join(', ');
    throw new HttpError(405, `${method ?? '?'} is not supported on ${pathname.slice(0, 200)} (allowed: ${allow})`, { allow });
  }
}

/**
 * checkKey is the one rule for keys, over HTTP and the native protocol: a non-empty string. Returns
 * the reason a key is refused, or undefined.
 */
export function checkKey(key: string): string | undefined {
  return key.length === 0 ? 'the key must not be empty' : undefined;
}

/** decodeKey percent-decodes the key of `/kv/<key>` and checks it: 400 for bad percent-encoding or an empty key. */
export function decodeKey(raw: string): string {
  let key: string;
  try {
    key = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `the key ${JSON.stringify(raw.slice(0, 200))} is not valid percent-encoding (UTF-8 bytes as %XX)`);
  }
  const refused = checkKey(key);
  if (refused !== undefined) throw new HttpError(400, refused);
  return key;
}

/** queryInt reads a non-negative integer query parameter (`fallback` when absent); 400 otherwise. */
export function queryInt(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  if (!/^\d{1,15}$/.test(raw)) throw new HttpError(400, `${name} must be a non-negative integer, not ${JSON.stringify(raw.slice(0, 40))}`);
  return Number(raw);
}

/** tooLarge tells whether a request declares a body over MAX_BODY_BYTES (so it can be refused before reading it). */
export function tooLarge(req: http.IncomingMessage): boolean {
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > MAX_BODY_BYTES;
}

const TOO_LARGE = `the body is over the limit of ${MAX_BODY_BYTES} bytes`;

/**
 * readJsonBody reads a request body as a JSON object (an empty body is `{}`). Throws HttpError: 413 when
 * it exceeds MAX_BODY_BYTES, 400 when it is not JSON or not an object (`null`, an array, a number...).
 */
export function readJsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  if (tooLarge(req)) return Promise.reject(new HttpError(413, TOO_LARGE, { connection: 'close' }));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Past the limit the rest is read and dropped (up to 8 times the limit), so that the client gets
      // the 413 rather than a connection reset; the connection closes after the answer.
      if (over) {
        if (size > 8 * MAX_BODY_BYTES) req.destroy();
        return;
      }
      if (size > MAX_BODY_BYTES) {
        over = true;
        chunks.length = 0;
        reject(new HttpError(413, TOO_LARGE, { connection: 'close' }));
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (over) return;
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text.trim().length === 0 ? {} : JSON.parse(text);
      } catch {
        return reject(new HttpError(400, 'the body is not valid JSON'));
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return reject(new HttpError(400, `the body must be a JSON object (such as {"value": "v"}), not ${body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body}`));
      }
      resolve(body as Record<string, unknown>);
    });
    req.on('error', reject);
  });
}
