import type { LogEntry } from '../log-entry.js';
import type { InternalStorage } from './internal-storage.js';

type Slot = 'Compacted' | 'Entry' | 'StopSign' | undefined;

function slotAt<T, S>(st: InternalStorage<T, S>, idx: number): Slot {
  if (idx < st.compactedIdx) return 'Compacted';
  if (idx + 1 < st.acceptedIdx) return 'Entry';
  if (idx + 1 === st.acceptedIdx) return st.stopSign ? 'StopSign' : 'Entry';
  return undefined;
}

function compactedEntry<T, S>(st: InternalStorage<T, S>): LogEntry<T, S> {
  const snapshot = st.getSnapshot();
  return snapshot === undefined
    ? { kind: 'Trimmed', trimmedIdx: st.compactedIdx }
    : { kind: 'Snapshotted', trimmedIdx: st.compactedIdx, snapshot };
}

function entriesBetween<T, S>(st: InternalStorage<T, S>, from: number, to: number): LogEntry<T, S>[] {
  const raw = st.getEntries(from, to);
  const out: LogEntry<T, S>[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const entry = raw[i] as T;
    out[i] = from + i < st.decidedIdx ? { kind: 'Decided', entry } : { kind: 'Undecided', entry };
  }
  return out;
}

/**
 * readLog returns the log entries in [from, to): a compacted prefix reads as one Trimmed or
 * Snapshotted entry, the stop sign as a StopSign entry. Undefined when the range is empty, reversed
 * or reaches past the end of the log.
 */
export function readLog<T, S>(st: InternalStorage<T, S>, from: number, to: number): LogEntry<T, S>[] | undefined {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to <= from) return undefined;
  const last = slotAt(st, to - 1);
  const first = slotAt(st, from);
  if (last === undefined || first === undefined) return undefined;
  if (last === 'Compacted') return [compactedEntry(st)];
  const out: LogEntry<T, S>[] = [];
  let start = from;
  if (first === 'Compacted') {
    out.push(compactedEntry(st));
    start = st.compactedIdx;
  }
  const entriesEnd = last === 'StopSign' ? to - 1 : to;
  if (start < entriesEnd) for (const e of entriesBetween(st, start, entriesEnd)) out.push(e);
  if (last === 'StopSign' && st.stopSign) {
    out.push({ kind: 'StopSign', stopSign: st.stopSign, decided: st.stopSignIsDecided() });
  }
  return out;
}

/** readDecidedSuffix returns the decided entries from `from` on, or undefined if there are none. */
export function readDecidedSuffix<T, S>(st: InternalStorage<T, S>, from: number): LogEntry<T, S>[] | undefined {
  if (from < st.decidedIdx) return readLog(st, from, st.decidedIdx);
  return undefined;
}
