import type { AnyActorRef, InspectionEvent } from 'xstate';

/**
 * summarizeInspection condenses an xstate inspection stream into a few lines: events by actor kind
 * and type, how many came from outside the actor system (no sourceRef: user sends, transport
 * deliveries), and the largest snapshot seen per actor kind in JSON bytes.
 */
export function summarizeInspection(events: readonly InspectionEvent[]): string[] {
  const counts = new Map<string, number>();
  const largest = new Map<string, number>();
  let external = 0;
  const kind = (ref: unknown): string => ((ref as AnyActorRef).id ?? '?').replace(/-\d+$/, '-*');
  for (const e of events) {
    if (e.type === '@xstate.event') {
      const key = `${kind(e.actorRef)} <- ${e.event.type}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (!e.sourceRef && !e.event.type.startsWith('xstate.')) external += 1;
    } else if (e.type === '@xstate.snapshot') {
      const size = JSON.stringify(e.snapshot).length;
      const k = kind(e.actorRef);
      largest.set(k, Math.max(largest.get(k) ?? 0, size));
    }
  }
  const lines = [`${events.length} inspection events; ${external} events sent from outside the system (no sourceRef)`];
  for (const [key, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, 8)) lines.push(`${String(n).padStart(6)}  ${key}`);
  for (const [k, size] of largest) lines.push(`largest snapshot of ${k}: ${size} bytes`);
  return lines;
}
