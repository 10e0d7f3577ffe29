/**
 * Prng is a small seeded pseudo-random generator (mulberry32) for simulations, tests and jitter in
 * drivers; the replica itself never draws random numbers. The same seed gives the same
 * sequence on every machine, so a failing simulation replays exactly from its seed.
 */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** next returns a float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** int returns an integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** range returns an integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** chance returns true with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** pick returns a random element of a non-empty array. */
  pick<X>(xs: readonly X[]): X {
    if (xs.length === 0) throw new RangeError('pick from an empty array');
    return xs[this.int(xs.length)] as X;
  }

  /** shuffle shuffles an array in place and returns it. */
  shuffle<X>(xs: X[]): X[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = xs[i] as X;
      xs[i] = xs[j] as X;
      xs[j] = tmp;
    }
    return xs;
  }

  /** fork derives an independent generator, so adding draws in one place does not shift another. */
  fork(): Prng {
    return new Prng(Math.floor(this.next() * 4294967296));
  }
}
