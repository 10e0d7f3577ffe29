import { describe, expect, it } from 'vitest';
import { Cluster, FEATURES, type Feature, runRandomFaults } from '../src/index.js';

const reached = new Map<Feature, number>();

/** runSeeds runs every seed in [from, to); runRandomFaults throws a SimulationError naming the seed. */
function runSeeds(from: number, to: number, options: { nodes?: number; duplicates?: boolean } = {}): number {
  let decided = 0;
  for (let seed = from; seed < to; seed++) {
    const r = runRandomFaults({ seed, ...options });
    decided += r.decided;
    for (const f of r.features) reached.set(f, (reached.get(f) ?? 0) + 1);
  }
  return decided;
}

// 560 seeds in all; `pnpm fuzz --seeds 20000` runs many more outside the suite.
describe('random fault runs (safety every step, liveness after healing)', () => {
  for (let from = 1; from <= 400; from += 50) {
    const to = from + 50;
    it(`keeps the invariants and recovers for seeds ${from}..${to - 1} (mixed sizes and faults)`, () => {
      expect(runSeeds(from, to)).toBeGreaterThan(0);
    });
  }

  it('keeps every entry decided at most once without duplication, seeds 10001..10060', () => {
    expect(runSeeds(10_001, 10_061, { duplicates: false })).toBeGreaterThan(0);
  });

  it('keeps the invariants with 5 servers, seeds 20001..20050', () => {
    expect(runSeeds(20_001, 20_051, { nodes: 5 })).toBeGreaterThan(0);
  });

  it('keeps the invariants with 5 servers and no duplication, seeds 30001..30050', () => {
    expect(runSeeds(30_001, 30_051, { nodes: 5, duplicates: false })).toBeGreaterThan(0);
  });

  it('reaches every feature in these seeds', () => {
    const missing = FEATURES.filter((f) => (reached.get(f) ?? 0) === 0);
    expect(missing).toEqual([]);
  });
});

describe('determinism', () => {
  it('replays a seed message for message', () => {
    const a = runRandomFaults({ seed: 4242 });
    const b = runRandomFaults({ seed: 4242 });
    expect(b).toEqual(a);
    expect(a.delivered).toBeGreaterThan(0);
  });

  it('gives the same trace and final state for the same seed under lossy, reordering links', () => {
    const run = (): { trace: string[]; state: string; delivered: number } => {
      const trace: string[] = [];
      const c = new Cluster({
        seed: 77,
        nodes: 5,
        reorder: 0.5,
        allowDuplicateDecisions: true,
        serverConfig: { electionTickTimeout: 5 },
        onEvent: (l) => trace.push(l),
      });
      c.links.defaults = { drop: 0.1, duplicate: 0.1, minDelay: 0, maxDelay: 3 };
      for (let i = 0; i < 40; i++) {
        c.propose(c.prng.pick(c.nodes), `v${i}`);
        c.tick(3);
      }
      c.healAll();
      c.tick(50);
      return { trace, state: c.describe(), delivered: c.delivered };
    };
    const first = run();
    const second = run();
    expect(second.delivered).toBe(first.delivered);
    expect(second.state).toBe(first.state);
    expect(second.trace).toEqual(first.trace);
    expect(first.trace.length).toBeGreaterThan(100);
  });
});
