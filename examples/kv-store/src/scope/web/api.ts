import type { ScopeSnapshot } from '../scope-model.js';

/** post sends one action to the scope server and returns its one-line answer. */
export async function post(path: string): Promise<string> {
  const res = await fetch(path, { method: 'POST', headers: { 'x-scope': '1' } });
  const body = (await res.json()) as { message?: string; error?: string };
  return body.message ?? `failed: ${body.error ?? res.status}`;
}

/** subscribe calls `onSnapshot` for every snapshot the server pushes (EventSource reconnects by itself). */
export function subscribe(onSnapshot: (s: ScopeSnapshot) => void, onConnection: (up: boolean) => void): () => void {
  const source = new EventSource('/events');
  source.onmessage = (e: MessageEvent<string>) => {
    onConnection(true);
    onSnapshot(JSON.parse(e.data) as ScopeSnapshot);
  };
  source.onerror = () => onConnection(false);
  return () => source.close();
}

/** rate formats a per-second figure compactly: 0, 12, 3.4k, 1.2M. */
export function rate(x: number): string {
  if (x < 1) return x === 0 ? '0' : x.toFixed(1);
  if (x < 1000) return String(Math.round(x));
  if (x < 1e6) return `${(x / 1e3).toFixed(1)}k`;
  return `${(x / 1e6).toFixed(1)}M`;
}
