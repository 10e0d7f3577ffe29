import type { InternalStorage } from '../storage/internal-storage.js';

/**
 * SyncBounds caps every log sync and catch-up message a replica builds: at most `maxEntries` entries
 * and, by `sizeOf`, at most `maxBytes` bytes (a single larger entry still travels, alone).
 */
export interface SyncBounds<T> {
  maxEntries: number;
  maxBytes: number;
  sizeOf(entry: T): number;
}

/** READ_STEP_MAX caps how many entries one storage read asks for while filling a bounded chunk. */
const READ_STEP_MAX = 1024;

/**
 * readBounded reads entries from `from` (up to `to`) until the bounds are reached, in reads sized by
 * the entries seen so far, so it holds about one chunk (plus one read step) in memory, never the
 * whole range. Returns at least one entry when `from < to` and the storage holds it.
 */
export function readBounded<T, S>(st: InternalStorage<T, S>, from: number, to: number, b: SyncBounds<T>): T[] {
  const out: T[] = [];
  let bytes = 0;
  let i = from;
  let step = 16;
  while (i < to && out.length < b.maxEntries) {
    const n = Math.min(step, to - i, b.maxEntries - out.length);
    const chunk = st.getEntries(i, i + n);
    if (chunk.length === 0) break;
    for (let k = 0; k < chunk.length; k++) {
      const e = chunk[k] as T;
      const s = b.sizeOf(e);
      if (out.length > 0 && bytes + s > b.maxBytes) return out;
      out.push(e);
      bytes += s;
    }
    i += chunk.length;
    const avg = Math.max(1, bytes / out.length);
    step = Math.max(1, Math.min(READ_STEP_MAX, Math.floor((b.maxBytes - bytes) / avg) + 1));
  }
  return out;
}

/**
 * fitsBounds tells whether the entries in [from, to) fit one message. It reads at most
 * `maxEntries` entries (none when the count alone is too many) and returns them when they fit.
 */
export function fitsBounds<T, S>(st: InternalStorage<T, S>, from: number, to: number, b: SyncBounds<T>): T[] | undefined {
  if (to - from > b.maxEntries) return undefined;
  if (to <= from) return [];
  const entries = readBounded(st, from, to, b);
  return entries.length === to - from ? entries : undefined;
}
