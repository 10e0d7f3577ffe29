/** BackoffOptions shape the reconnect delays; all in milliseconds. */
export interface BackoffOptions {
  /** Delay before the first retry (default 50). */
  initialDelayMs?: number;
  /** Cap on the delay (default 2000). */
  maxDelayMs?: number;
  /** Growth factor per failed attempt (default 2). */
  multiplier?: number;
}

/** RandomSource returns a number in [0, 1); inject a seeded one for reproducible jitter. */
export type RandomSource = () => number;

/**
 * Backoff computes exponential reconnect delays with "equal jitter": attempt k waits
 * d/2 + random·d/2 where d = min(maxDelayMs, initialDelayMs·multiplier^k), so peers that lost each other
 * at the same moment do not redial in lockstep. `reset()` after a successful handshake.
 */
export class Backoff {
  private attempt = 0;
  private readonly initial: number;
  private readonly max: number;
  private readonly multiplier: number;

  constructor(options: BackoffOptions, private readonly random: RandomSource) {
    this.initial = options.initialDelayMs ?? 50;
    this.max = options.maxDelayMs ?? 2000;
    this.multiplier = options.multiplier ?? 2;
  }

  /** next returns the delay before the next attempt and counts the attempt. */
  next(): number {
    const d = Math.min(this.max, this.initial * this.multiplier ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 64);
    const r = Math.min(Math.max(this.random(), 0), 1);
    return Math.round(d / 2 + (r * d) / 2);
  }

  /** reset starts the next failure sequence from the initial delay. */
  reset(): void {
    this.attempt = 0;
  }
}
