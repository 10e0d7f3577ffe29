import {
  type Ballot,
  ballotEquals,
  ballotGreater,
  checkSequence,
  compareBallots,
  ConfigError,
  type FlexibleQuorum,
  Quorum,
  type SequenceNumber,
  validateClusterConfig,
} from '@omnipaxos/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// Small ranges so that equal components (ties on n, on priority) are common.
const ballotArb: fc.Arbitrary<Ballot> = fc.record({
  configId: fc.integer({ min: 1, max: 3 }),
  n: fc.integer({ min: 0, max: 4 }),
  priority: fc.integer({ min: 0, max: 2 }),
  pid: fc.integer({ min: 1, max: 4 }),
});

const sign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : 0);

describe('ballot order (n, priority, pid)', () => {
  it('is total: exactly one of a < b, a = b, a > b holds', () => {
    fc.assert(
      fc.property(ballotArb, ballotArb, (a, b) => {
        const lt = compareBallots(a, b) < 0;
        const eq = compareBallots(a, b) === 0;
        const gt = compareBallots(a, b) > 0;
        expect([lt, eq, gt].filter(Boolean)).toHaveLength(1);
      }),
    );
  });

  it('is antisymmetric: compare(a, b) = -compare(b, a)', () => {
    fc.assert(fc.property(ballotArb, ballotArb, (a, b) => sign(compareBallots(a, b)) === -sign(compareBallots(b, a))));
  });

  it('is transitive', () => {
    fc.assert(
      fc.property(ballotArb, ballotArb, ballotArb, (a, b, c) => {
        if (compareBallots(a, b) <= 0 && compareBallots(b, c) <= 0) expect(compareBallots(a, c)).toBeLessThanOrEqual(0);
        if (compareBallots(a, b) < 0 && compareBallots(b, c) <= 0) expect(compareBallots(a, c)).toBeLessThan(0);
      }),
    );
  });

  it('agrees with ballotEquals and ballotGreater, and ignores configId', () => {
    fc.assert(
      fc.property(ballotArb, ballotArb, (a, b) => {
        expect(ballotEquals(a, b)).toBe(compareBallots(a, b) === 0);
        expect(ballotGreater(a, b)).toBe(compareBallots(a, b) > 0);
        expect(compareBallots({ ...a, configId: b.configId + 7 }, b)).toBe(compareBallots(a, b));
      }),
    );
  });

  it('is lexicographic on (n, priority, pid)', () => {
    fc.assert(
      fc.property(ballotArb, ballotArb, (a, b) => {
        const key = (x: Ballot): [number, number, number] => [x.n, x.priority, x.pid];
        const [ka, kb] = [key(a), key(b)];
        const i = ka.findIndex((v, j) => v !== kb[j]);
        const expected = i < 0 ? 0 : sign((ka[i] as number) - (kb[i] as number));
        expect(sign(compareBallots(a, b))).toBe(expected);
      }),
    );
  });

  it('sorts consistently: a sorted list is pairwise non-decreasing', () => {
    fc.assert(
      fc.property(fc.array(ballotArb, { maxLength: 20 }), (bs) => {
        const sorted = [...bs].sort(compareBallots);
        for (let i = 1; i < sorted.length; i++) {
          expect(ballotGreater(sorted[i - 1] as Ballot, sorted[i] as Ballot)).toBe(false);
        }
      }),
    );
  });
});

/** subsetsOfSize returns every subset of `nodes` with exactly `k` members (nodes.length <= 9). */
function subsetsOfSize(nodes: readonly number[], k: number): number[][] {
  const out: number[][] = [];
  for (let mask = 0; mask < 1 << nodes.length; mask++) {
    const s = nodes.filter((_, i) => (mask & (1 << i)) !== 0);
    if (s.length === k) out.push(s);
  }
  return out;
}

/** smallest returns the smallest set count votes such that `accepts` holds. */
function smallest(n: number, accepts: (count: number) => boolean): number {
  for (let k = 0; k <= n; k++) if (accepts(k)) return k;
  return n + 1;
}

/** nodeIdsArb gives 2..7 distinct positive node ids (not necessarily 1..n). */
const nodeIdsArb = fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { minLength: 2, maxLength: 7 });

function everyReadMeetsEveryWrite(nodes: readonly number[], q: Quorum): void {
  const n = nodes.length;
  const reads = subsetsOfSize(nodes, smallest(n, (k) => q.isPrepareQuorum(k)));
  const writes = subsetsOfSize(nodes, smallest(n, (k) => q.isAcceptQuorum(k)));
  for (const r of reads) {
    for (const w of writes) expect(r.some((p) => w.includes(p)), `read [${r}] and write [${w}] are disjoint`).toBe(true);
  }
}

describe('quorum intersection', () => {
  it('majorities: every prepare quorum meets every accept quorum, and quorums are reachable', () => {
    fc.assert(
      fc.property(nodeIdsArb, (nodes) => {
        const q = new Quorum(nodes.length);
        expect(q.isPrepareQuorum(nodes.length)).toBe(true);
        expect(q.isAcceptQuorum(nodes.length)).toBe(true);
        // Monotone: more votes never lose a quorum.
        for (let k = 0; k < nodes.length; k++) {
          if (q.isAcceptQuorum(k)) expect(q.isAcceptQuorum(k + 1)).toBe(true);
          if (q.isPrepareQuorum(k)) expect(q.isPrepareQuorum(k + 1)).toBe(true);
        }
        // Two majorities always meet (so two leaders cannot both win a prepare phase).
        expect(2 * smallest(nodes.length, (k) => q.isPrepareQuorum(k))).toBeGreaterThan(nodes.length);
        everyReadMeetsEveryWrite(nodes, q);
      }),
    );
  });

  const flexibleArb = nodeIdsArb.chain((nodes) =>
    fc.record({
      nodes: fc.constant(nodes),
      readQuorumSize: fc.integer({ min: 0, max: nodes.length + 1 }),
      writeQuorumSize: fc.integer({ min: 0, max: nodes.length + 1 }),
    }),
  );

  it('flexible quorums accepted by validateClusterConfig always intersect', () => {
    let valid = 0;
    fc.assert(
      fc.property(flexibleArb, ({ nodes, readQuorumSize, writeQuorumSize }) => {
        const flexibleQuorum: FlexibleQuorum = { readQuorumSize, writeQuorumSize };
        let accepted = true;
        try {
          validateClusterConfig({ configurationId: 1, nodes, flexibleQuorum });
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          accepted = false;
        }
        // validateClusterConfig accepts exactly the sizes whose quorums intersect and are reachable.
        const intersects = readQuorumSize + writeQuorumSize > nodes.length;
        const inRange = readQuorumSize >= 2 && writeQuorumSize >= 2 && readQuorumSize <= nodes.length && writeQuorumSize <= nodes.length;
        expect(accepted).toBe(intersects && inRange);
        if (!accepted) return;
        valid += 1;
        const q = new Quorum(nodes.length, flexibleQuorum);
        expect(smallest(nodes.length, (k) => q.isPrepareQuorum(k))).toBe(readQuorumSize);
        expect(smallest(nodes.length, (k) => q.isAcceptQuorum(k))).toBe(writeQuorumSize);
        everyReadMeetsEveryWrite(nodes, q);
      }),
      { numRuns: 300 },
    );
    expect(valid).toBeGreaterThan(0);
  });
});

const seqArb: fc.Arbitrary<SequenceNumber> = fc.record({
  session: fc.integer({ min: 0, max: 3 }),
  counter: fc.integer({ min: 0, max: 4 }),
});

describe('sequence-number classification (checkSequence)', () => {
  it('classifies every received number by its position after the current one', () => {
    fc.assert(
      fc.property(seqArb, seqArb, (current, received) => {
        const status = checkSequence(current, received);
        const isNext = received.session === current.session && received.counter === current.counter + 1;
        const notAfter =
          received.session < current.session || (received.session === current.session && received.counter <= current.counter);
        expect(status).toBe(isNext ? 'Expected' : notAfter ? 'Outdated' : 'DroppedPreceding');
      }),
    );
  });

  it('takes the successor as Expected, itself as Outdated, and a skipped one as DroppedPreceding', () => {
    fc.assert(
      fc.property(seqArb, fc.integer({ min: 2, max: 5 }), (s, gap) => {
        expect(checkSequence(s, { session: s.session, counter: s.counter + 1 })).toBe('Expected');
        expect(checkSequence(s, s)).toBe('Outdated');
        expect(checkSequence(s, { session: s.session, counter: s.counter + gap })).toBe('DroppedPreceding');
        expect(checkSequence(s, { session: s.session + 1, counter: 1 })).toBe('DroppedPreceding');
      }),
    );
  });

  it('accepts a stream delivered in order, and each message exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 5 }), (len, session) => {
        let current: SequenceNumber = { session, counter: 0 };
        for (let c = 1; c <= len; c++) {
          const next = { session, counter: c };
          expect(checkSequence(current, next)).toBe('Expected');
          current = next;
          expect(checkSequence(current, next)).toBe('Outdated');
        }
      }),
    );
  });
});
