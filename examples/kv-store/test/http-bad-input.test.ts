import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessCluster, eventually, scaled } from './cluster-harness.js';

/** RawRequest is one request as the fuzzer sends it: any method, path, headers and body bytes. */
interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** RawAnswer is the status, headers and body text of an answer; status 0 when the server closed the connection without one. */
interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** send makes one request on a fresh connection and collects the answer. */
function send(base: string, r: RawRequest): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method: r.method, path: r.path, headers: r.headers, agent: false, timeout: 60_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${r.method} ${r.path}: no answer`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server may close a connection it refused (bad method line, body too large) while we write.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resolve({ status: 0, headers: {}, text: '' });
      else reject(err);
    });
    req.end(r.body);
  });
}

const json = (x: unknown): Buffer => Buffer.from(JSON.stringify(x));
const jsonErrorOf = (a: RawAnswer): string => (JSON.parse(a.text) as { error: string }).error;

describe('kv-store HTTP API: bad input gets a 4xx with a clear message, never a 5xx or a crash', () => {
  const cluster = new ProcessCluster([1, 2, 3]);
  let base = '';
  beforeAll(async () => {
    await cluster.startAll();
    base = cluster.urls.get(1) ?? '';
    await eventually('a leader', async () => {
      if ((await cluster.client(1).status()).leader === null) throw new Error('no leader yet');
    });
  });
  afterAll(() => cluster.stopAll());

  const cases: [string, RawRequest, number, RegExp][] = [
    ['a null body on PUT', { method: 'PUT', path: '/kv/a', headers: {}, body: json(null) }, 400, /JSON object.*not null/],
    ['a null body on cas', { method: 'POST', path: '/kv/a/cas', headers: {}, body: json(null) }, 400, /JSON object/],
    ['a null body on /reconfigure', { method: 'POST', path: '/reconfigure', headers: {}, body: json(null) }, 400, /JSON object/],
    ['an array body', { method: 'PUT', path: '/kv/a', headers: {}, body: json(['v']) }, 400, /not an array/],
    ['a body that is not JSON', { method: 'PUT', path: '/kv/a', headers: {}, body: Buffer.from('{value:') }, 400, /not valid JSON/],
    ['a value that is not a string', { method: 'PUT', path: '/kv/a', headers: {}, body: json({ value: 3 }) }, 400, /PUT needs/],
    ['bad percent-encoding in a key', { method: 'GET', path: '/kv/%E0%A4%A', headers: {} }, 400, /percent-encoding/],
    ['an empty key', { method: 'PUT', path: '/kv/', headers: {}, body: json({ value: 'v' }) }, 400, /must not be empty/],
    ['an unknown peer in /links', { method: 'POST', path: '/links/99/cut', headers: {} }, 404, /no link to replica 99/],
    ['/log?from=abc', { method: 'GET', path: '/log?from=abc', headers: {} }, 400, /from must be a non-negative integer/],
    ['/log?from=-5', { method: 'GET', path: '/log?from=-5', headers: {} }, 400, /from must be a non-negative integer/],
    ['/log?limit=1.5', { method: 'GET', path: '/log?limit=1.5', headers: {} }, 400, /limit must be/],
    ['an unknown path', { method: 'GET', path: '/nope', headers: {} }, 404, /no such path/],
  ];
  it.each(cases)('%s', async (_name, request, status, message) => {
    const a = await send(base, request);
    expect(a.status).toBe(status);
    expect(jsonErrorOf(a)).toMatch(message);
  });

  it('answers a wrong method with 405 and the allowed methods', async () => {
    const a = await send(base, { method: 'PATCH', path: '/kv/a', headers: {} });
    expect(a.status).toBe(405);
    expect(a.headers.allow).toBe('GET, PUT, DELETE');
    const b = await send(base, { method: 'GET', path: '/kv/a/cas', headers: {} });
    expect([b.status, b.headers.allow]).toEqual([405, 'POST']);
  });

  it('answers a body over 1 MiB with a 413 JSON error, declared or streamed', async () => {
    const big = Buffer.alloc((1 << 20) + 10, 0x61);
    const declared = await send(base, { method: 'PUT', path: '/kv/big', headers: { 'content-length': String(big.length), expect: '100-continue' }, body: big });
    const streamed = await send(base, { method: 'PUT', path: '/kv/big', headers: { 'transfer-encoding': 'chunked' }, body: big });
    for (const a of [declared, streamed]) {
      expect(a.status).toBe(413);
      expect(jsonErrorOf(a)).toMatch(/over the limit of 1048576 bytes/);
    }
  });

  it('survives random methods, paths, headers and bodies: no 5xx for bad input, every acknowledged write readable', async () => {
    const keys = ['a', 'b', 'c', 'ü', 'x y'];
    const key = fc.constantFrom(...keys);
    const anyText = fc.string({ maxLength: 30 });
    const valid = fc.oneof(
      fc.record({ key, value: fc.string({ maxLength: 20 }) }).map(({ key: k, value }) => ({ op: 'put' as const, key: k, value })),
      key.map((k) => ({ op: 'get' as const, key: k })),
      key.map((k) => ({ op: 'delete' as const, key: k })),
    );
    const badPath = fc.oneof(
      // Raw key text (a lone `%` on odd lengths): only characters a request line may carry.
      anyText.map((t) => `/kv/${t.replace(/[^\x21-\x7e]|[/?#]/g, '_')}${'%'.repeat(t.length % 2)}`),
      fc.constantFrom('/kv/%', '/kv/%zz', '/kv/%E0%A4%A', '/kv/', '/kv//cas', '/log?from=x', '/log?limit=-1', '/links/0/cut', '/links/abc/heal'),
      fc.constantFrom('/members/99', '/reconfigure', '/members', '/status/x', '/', '/kv'),
      anyText.map((t) => `/${encodeURIComponent(t)}`),
    );
    const method = fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD');
    const badBody = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom('null', '[]', '3', '"v"', '{', '{"value": 1}', '{"expected": 2}', '{"nodes": "x"}', '{"pid": -1}'),
      fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    const headers = fc.dictionary(fc.constantFrom('content-type', 'accept', 'x-test', 'user-agent', 'cookie'), fc.string({ maxLength: 20 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')), { maxKeys: 3 });
    const bad = fc.record({ method, path: badPath, headers, body: badBody });
    const step = fc.oneof({ arbitrary: valid.map((v) => ({ valid: v })), weight: 1 }, { arbitrary: bad.map((b) => ({ bad: b })), weight: 2 });

    const acknowledged = new Map<string, string | null>();
    const uncertain = new Set<string>();
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(step, async (s) => {
        if ('valid' in s) {
          const v = s.valid;
          const path = `/kv/${encodeURIComponent(v.key)}`;
          const request: RawRequest = v.op === 'put'
            ? { method: 'PUT', path, headers: { 'content-type': 'application/json' }, body: json({ value: v.value }) }
            : { method: v.op === 'get' ? 'GET' : 'DELETE', path, headers: {} };
          const a = await send(base, request);
          seen.set(a.status, (seen.get(a.status) ?? 0) + 1);
          if (a.status === 200) {
            if (v.op === 'put') acknowledged.set(v.key, v.value);
            if (v.op === 'delete') acknowledged.set(v.key, null);
          } else {
            expect(a.status, `${request.method} ${path}: ${a.text}`).toBe(503); // only "not decided" may fail a valid request
            uncertain.add(v.key);
          }
          return;
        }
        const b = s.bad;
        const body = b.body === undefined ? undefined : Buffer.from(b.body, 'latin1');
        const a = await send(base, { method: b.method, path: b.path, headers: b.headers, ...(body ? { body } : {}) });
        seen.set(a.status, (seen.get(a.status) ?? 0) + 1);
        // A random request may also happen to be valid (GET /kv/<key>, GET /members, ...): 2xx then.
        expect(a.status < 500, `${b.method} ${b.path} ${JSON.stringify(b.body)} -> ${a.status} ${a.text}`).toBe(true);
        if (a.status >= 400 && b.method !== 'HEAD' && a.text.length > 0) expect(typeof jsonErrorOf(a)).toBe('string');
        if (a.status === 200 && b.method === 'PUT' && /^\/kv\/[^/]+$/.test(b.path)) uncertain.add(decodeURIComponent(b.path.slice(4)));
        if (a.status === 200 && b.method === 'DELETE' && /^\/kv\/[^/]+$/.test(b.path)) uncertain.add(decodeURIComponent(b.path.slice(4)));
      }),
      { numRuns: 150, seed: Number(process.env.HTTP_FUZZ_SEED ?? 2026), verbose: 1 },
    );

    // No replica crashed, and every acknowledged write reads back through every replica.
    for (const pid of cluster.nodes) expect((await cluster.client(pid).status()).pid).toBe(pid);
    let checked = 0;
    for (const [k, v] of acknowledged) {
      if (uncertain.has(k)) continue;
      for (const pid of cluster.nodes) expect((await cluster.client(pid).get(k)).value, `key ${k} via ${pid}`).toBe(v);
      checked++;
    }
    console.log(`http fuzz: answers by status ${JSON.stringify(Object.fromEntries([...seen].sort()))}, ${checked} acknowledged keys read back`);
    expect(checked).toBeGreaterThan(0);
    expect(seen.size).toBeGreaterThan(2); // the run reached several kinds of answer
  }, scaled(180_000));
});
