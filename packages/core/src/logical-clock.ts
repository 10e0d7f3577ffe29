/** LogicalClock fires every `timeout` ticks. */
export class LogicalClock {
  private time = 0;

  constructor(private readonly timeout: number) {}

  /** tick advances the clock and returns true when the timeout is reached (then starts over). */
  tick(): boolean {
    this.time += 1;
    if (this.time >= this.timeout) {
      this.time = 0;
      return true;
    }
    return false;
  }
}
