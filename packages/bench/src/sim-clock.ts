import type { ReplicaClock } from '@omnipaxos/actors';

/** SimClock is a simulated xstate clock (like xstate's SimulatedClock): time moves only on `increment`. */
export class SimClock implements ReplicaClock {
  private now = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(id: unknown): void {
    this.timers.delete(id as number);
  }
  increment(ms: number): void {
    this.now += ms;
    const due = [...this.timers].filter(([, t]) => t.at <= this.now).sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
    for (const [id, t] of due) {
      this.timers.delete(id);
      t.fn();
    }
  }
}
