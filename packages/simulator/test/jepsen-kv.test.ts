import { describe, expect, it } from 'vitest';
import { checkKvHistory, formatCheckResult } from '../src/index.js';
import { type JepsenKvOptions, runJepsenKv } from './jepsen-kv-cluster.js';

/** Totals over the seeds of one test, printed so the run reports what was checked. */
interface Totals {
  histories: number;
  operations: number;
  ok: number;
  fail: number;
  info: number;
  crashes: number;
  retries: number;
  skipped: number;
}

function runSeeds(from: number, to: number, shape: (seed: number) => Omit<JepsenKvOptions, 'seed'>): Totals {
  const t: Totals = { histories: 0, operations: 0, ok: 0, fail: 0, info: 0, crashes: 0, retries: 0, skipped: 0 };
  for (let seed = from; seed < to; seed++) {
    const run = runJepsenKv({ seed, ...shape(seed) });
    const verdict = checkKvHistory(run.recorder.history());
    if (verdict.ok !== true) throw new Error(`seed ${seed}: ${formatCheckResult(verdict)}`);
    const n = run.recorder.counts();
    t.histories += 1;
    t.operations += n.invoked;
    t.ok += n.ok;
    t.fail += n.fail;
    t.info += n.info;
    t.crashes += run.crashes;
    t.retries += run.retries;
    t.skipped += run.skippedDuplicates;
  }
  return t;
}

function report(name: string, t: Totals): void {
  console.log(
    `jepsen-kv ${name}: ${t.histories} histories, ${t.operations} operations checked linearizable ` +
      `(${t.ok} ok, ${t.fail} fail, ${t.info} info; ${t.crashes} crashes, ${t.retries} retries, ` +
      `${t.skipped} decided duplicates skipped by the state machine)`,
  );
}

describe('Jepsen-style key-value test on the simulator', () => {
  it('keeps every history linearizable under partitions, partial connectivity, loss and crashes (3 servers, seeds 1..40)', () => {
    const t = runSeeds(1, 41, (seed) => ({ nodes: 3, clients: 5, keys: 3, faultTicks: 300, calmTicks: 120, duplicates: seed % 4 === 0 }));
    report('3 servers', t);
    expect(t.ok).toBeGreaterThan(t.histories * 10);
    expect(t.info).toBeGreaterThan(0);
    expect(t.retries).toBeGreaterThan(0);
  });

  it('keeps every history linearizable with 5 servers (seeds 101..120)', () => {
    const t = runSeeds(101, 121, (seed) => ({ nodes: 5, clients: 6, keys: 3, faultTicks: 300, calmTicks: 120, duplicates: seed % 3 === 0 }));
    report('5 servers', t);
    expect(t.ok).toBeGreaterThan(t.histories * 10);
  });

  it('catches a store that serves reads locally instead of through the log (negative control)', () => {
    let caught = 0;
    const seeds = 10;
    for (let seed = 1; seed <= seeds; seed++) {
      const run = runJepsenKv({ seed, nodes: 3, clients: 5, keys: 2, faultTicks: 300, calmTicks: 60, duplicates: false, localReads: true });
      const verdict = checkKvHistory(run.recorder.history());
      expect(verdict.ok, formatCheckResult(verdict)).not.toBe('unknown');
      if (verdict.ok === false) caught += 1;
    }
    console.log(`jepsen-kv negative control: ${caught} of ${seeds} histories with local reads rejected`);
    expect(caught).toBeGreaterThan(0);
  });
});
