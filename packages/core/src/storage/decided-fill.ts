import type { StorageOp } from './storage.js';
import type { InternalStorage } from './internal-storage.js';

/**
 * fillDecided writes decided entries [fromIdx, fromIdx + entries.length) into the log at their
 * indices and moves the decided index to their end, in one atomic write. It applies only when the
 * entries start at or before our decided index (so our log before them is the same decided prefix)
 * and reach past it; returns whether anything was written.
 *
 * Why this is safe in any phase but Accept: decided entries are final. Writing them in place never
 * removes an entry and never changes the accepted round, and the entries we held beyond them (our
 * undecided tail, a stop sign still ahead of them) are kept. Where a decided entry replaces a
 * different undecided one, that one was not chosen in any round up to our accepted round, so no
 * later leader can pick our log as its most up-to-date one in that round. The accepted index only
 * grows, so a leader that synced us from our promise still finds its common prefix in place.
 */
export function fillDecided<T, S>(st: InternalStorage<T, S>, fromIdx: number, entries: readonly T[]): boolean {
  const d = st.decidedIdx;
  const end = fromIdx + entries.length;
  if (fromIdx > d || end <= d || st.stopSignIsDecided() || d < st.compactedIdx) return false;
  const fresh = entries.slice(d - fromIdx);
  const entriesEnd = st.acceptedIdx - (st.stopSign ? 1 : 0);
  // Our entries past the filled range stay where they are (rewritten behind the fill).
  const tail = end < entriesEnd ? st.getEntries(end, entriesEnd) : [];
  for (let i = 0; i < tail.length; i++) fresh.push(tail[i] as T);
  // A stop sign sits right after our entries: it stays unless a decided entry takes its slot.
  const keepStopSign = st.stopSign !== undefined && end <= entriesEnd;
  const ops: StorageOp<T, S>[] = [{ op: 'AppendOnPrefix', fromIdx: d, entries: fresh }];
  if (st.stopSign && !keepStopSign) ops.push({ op: 'SetStopsign', stopSign: undefined });
  ops.push({ op: 'SetDecidedIdx', idx: end });
  st.write('fillDecided', () => st.storage.writeAtomically(ops));
  st.acceptedIdx = Math.max(end, entriesEnd) + (keepStopSign ? 1 : 0);
  if (!keepStopSign) st.stopSign = undefined;
  st.decidedIdx = end;
  return true;
}
