/** KvClient talks to one replica's HTTP API. */
export class KvClient {
  constructor(readonly url: string) {}

  private async call<R>(method: string, path: string, body?: unknown): Promise<R> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const json = (await res.json()) as R & { error?: string };
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.error ?? ''}`);
    return json;
  }

  /** put sets `key` to `value`. */
  put(key: string, value: string) {
    return this.call<{ idx: number; previous: string | null }>('PUT', `/kv/${encodeURIComponent(key)}`, { value });
  }
  /** get reads `key` through the log (linearizable). */
  get(key: string) {
    return this.call<{ idx: number; value: string | null }>('GET', `/kv/${encodeURIComponent(key)}`);
  }
  /** delete removes `key`. */
  delete(key: string) {
    return this.call<{ idx: number; existed: boolean }>('DELETE', `/kv/${encodeURIComponent(key)}`);
  }
  /** cas sets `key` to `value` if it holds `expected` (null = absent). */
  cas(key: string, expected: string | null, value: string | null) {
    return this.call<{ idx: number; ok: boolean; current: string | null }>('POST', `/kv/${encodeURIComponent(key)}/cas`, { expected, value });
  }
  /** status returns the replica's status. */
  status() {
    return this.call<{ pid: number; leader: number | null; decidedIdx: number; keys: number; transport: { peers: { pid: number; state: string }[] } }>('GET', '/status');
  }
}
