import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkKvHistory,
  type CheckResult,
  formatCheckResult,
  HistoryError,
  type HistoryEvent,
  HistoryRecorder,
  type KvOperation,
} from '../src/index.js';

const put = (key: string, value: string): KvOperation => ({ f: 'put', key, value });
const get = (key: string): KvOperation => ({ f: 'get', key });
const del = (key: string): KvOperation => ({ f: 'delete', key });
const cas = (key: string, expected: string, value: string): KvOperation => ({ f: 'cas', key, expected, value });

function expectLinearizable(r: CheckResult): void {
  expect(r.ok, formatCheckResult(r)).toBe(true);
}

function expectViolation(r: CheckResult, key = 'x'): string {
  expect(r.ok, formatCheckResult(r)).toBe(false);
  if (r.ok !== false) throw new Error('unreachable');
  expect(r.key).toBe(key);
  return formatCheckResult(r);
}

describe('checkKvHistory: linearizable histories', () => {
  it('accepts sequential puts, reads, deletes and cas', () => {
    const h = new HistoryRecorder();
    const seq: [KvOperation, (string | boolean)?][] = [
      [get('x')],
      [put('x', '1')],
      [get('x'), '1'],
      [cas('x', '1', '2'), true],
      [cas('x', '1', '3'), false],
      [get('x'), '2'],
      [del('x')],
      [get('x')],
      [cas('x', '2', '4'), false],
    ];
    for (const [op, result] of seq) h.ok(h.invoke(1, op), result);
    expectLinearizable(checkKvHistory(h.history()));
  });

  it('accepts a read concurrent with a write returning either the old or the new value', () => {
    for (const seen of ['0', '1']) {
      const h = new HistoryRecorder();
      h.ok(h.invoke(1, put('x', '0')));
      const w = h.invoke(1, put('x', '1'));
      const r = h.invoke(2, get('x'));
      h.ok(r, seen);
      h.ok(w);
      expectLinearizable(checkKvHistory(h.history()));
    }
  });

  it('accepts reads that order overlapping writes the same way for every reader', () => {
    const h = new HistoryRecorder();
    const a = h.invoke(1, put('x', 'a'));
    const b = h.invoke(2, put('x', 'b'));
    const r1 = h.invoke(3, get('x'));
    h.ok(r1, 'b');
    const r2 = h.invoke(4, get('x'));
    h.ok(r2, 'a');
    h.ok(a);
    h.ok(b);
    h.ok(h.invoke(3, get('x')), 'a');
    expectLinearizable(checkKvHistory(h.history()));
  });

  it('accepts an info write whose effect shows up long after it timed out', () => {
    const h = new HistoryRecorder();
    h.ok(h.invoke(1, put('x', '0')));
    h.info(h.invoke(1, put('x', '1')));
    h.ok(h.invoke(2, get('x')), '0');
    h.ok(h.invoke(2, get('x')), '0');
    h.ok(h.invoke(2, get('x')), '1');
    expectLinearizable(checkKvHistory(h.history()));
  });

  it('accepts info writes and an info cas that never take effect, and ignores failed writes', () => {
    const h = new HistoryRecorder();
    h.ok(h.invoke(1, put('x', '0')));
    h.info(h.invoke(1, put('x', '1')));
    h.info(h.invoke(2, cas('x', '0', '2')));
    h.fail(h.invoke(3, put('x', '3')));
    h.invoke(4, del('x')); // never completed: unknown
    h.info(h.invoke(5, get('x'))); // an unknown read constrains nothing
    h.ok(h.invoke(6, get('x')), '0');
    expectLinearizable(checkKvHistory(h.history()));
  });

  it('accepts an info cas that swapped, seen by a later read and a later cas', () => {
    const h = new HistoryRecorder();
    h.ok(h.invoke(1, put('x', '0')));
    h.info(h.invoke(1, cas('x', '0', '1')));
    h.ok(h.invoke(2, cas('x', '1', '2')), true);
    h.ok(h.invoke(2, get('x')), '2');
    expectLinearizable(checkKvHistory(h.history()));
  });

  it('uses the timestamps, not the array order', () => {
    const events: HistoryEvent[] = [
      { type: 'ok', client: 2, opId: 'r', time: 4, result: '1' },
      { type: 'invoke', client: 1, opId: 'w', time: 1, op: put('x', '1') },
      { type: 'invoke', client: 2, opId: 'r', time: 3, op: get('x') },
      { type: 'ok', client: 1, opId: 'w', time: 2 },
    ];
    expectLinearizable(checkKvHistory(events));
  });
});

describe('checkKvHistory: non-linearizable histories', () => {
  it('rejects a stale read after a newer write completed', () => {
    const h = new HistoryRecorder();
    h.ok(h.invoke(1, put('x', '1')));
    h.ok(h.invoke(1, put('x', '2')));
    h.ok(h.invoke(2, get('x')), '1');
    const text = expectViolation(checkKvHistory(h.history()));
    expect(text).toContain('get(x) -> "1"');
    expect(text).toContain('the value is "2"');
  });

  it('rejects a read of a value that was never written', () => {
    const h = new HistoryRecorder();
    const w = h.invoke(1, put('x', '1'));
    h.ok(h.invoke(2, get('x')), '7');
    h.ok(w);
    expectViolation(checkKvHistory(h.history()));
  });

  it('rejects a lost update: two cas from the same value both swap', () => {
    const h = new HistoryRecorder();
    h.ok(h.invoke(1, put('x', '0')));
    const a = h.invoke(1, cas('x', '0', '1'));
    const b = h.invoke(2, cas('x', '0', '2'));
    h.ok(a, true);
    h.ok(b, true);
    expectViolation(checkKvHistory(h.history()));
  });

  it('rejects a lost update: a completed write is overwritten by nothing yet unseen', () => {
    const h = new HistoryRecorder();
    h.ok(h.invoke(1, put('x', '0')));
    h.ok(h.invoke(1, put('x', '1')));
    h.ok(h.invoke(2, put('y', '9')));
    h.ok(h.invoke(2, get('x')), '0');
    const r = checkKvHistory(h.history());
    expectViolation(r);
    expect(r.keys).toBe(2);
  });

  it('rejects a cas that failed although the value matched and nobody else wrote', () => {
    const h = new HistoryRecorder();
    h.ok(h.invoke(1, put('x', '0')));
    h.ok(h.invoke(1, cas('x', '0', '1')), false);
    expectViolation(checkKvHistory(h.history()));
  });

  it('rejects a successful cas whose effect a later read does not see', () => {
    const h = new HistoryRecorder();
    h.ok(h.invoke(1, put('x', '0')));
    h.ok(h.invoke(1, cas('x', '0', '1')), true);
    h.ok(h.invoke(2, get('x')), '0');
    expectViolation(checkKvHistory(h.history()));
  });

  it('rejects a successful cas on an absent key', () => {
    const h = new HistoryRecorder();
    h.ok(h.invoke(1, cas('x', '0', '1')), true);
    expectViolation(checkKvHistory(h.history()));
  });

  it('rejects a read of a failed write', () => {
    const h = new HistoryRecorder();
    h.fail(h.invoke(1, put('x', '1')));
    h.ok(h.invoke(2, get('x')), '1');
    expectViolation(checkKvHistory(h.history()));
  });

  it('rejects an info write observed before it was invoked', () => {
    const h = new HistoryRecorder();
    h.ok(h.invoke(2, get('x')), '1');
    h.info(h.invoke(1, put('x', '1')));
    expectViolation(checkKvHistory(h.history()));
  });

  it('rejects a read that goes back: a reader sees the new value, a later reader the old', () => {
    const h = new HistoryRecorder();
    h.ok(h.invoke(1, put('x', '0')));
    const w = h.invoke(1, put('x', '1'));
    h.ok(h.invoke(2, get('x')), '1');
    h.ok(h.invoke(3, get('x')), '0');
    h.ok(w);
    expectViolation(checkKvHistory(h.history()));
  });

  it('rejects a deleted value read back, and names the key', () => {
    const h = new HistoryRecorder();
    h.ok(h.invoke(1, put('a', '1')));
    h.ok(h.invoke(1, put('z', '1')));
    h.ok(h.invoke(1, del('z')));
    h.ok(h.invoke(2, get('a')), '1');
    h.ok(h.invoke(2, get('z')), '1');
    const r = checkKvHistory(h.history());
    expectViolation(r, 'z');
    if (r.ok === false) expect(r.linearized.length).toBe(2);
  });
});

describe('checkKvHistory: bounds and malformed input', () => {
  const busy = (): HistoryEvent[] => {
    const h = new HistoryRecorder();
    const ids = Array.from({ length: 12 }, (_, i) => h.invoke(i, put('x', `${i}`)));
    for (const id of ids) h.ok(id);
    h.ok(h.invoke(99, get('x')), '5');
    return h.history();
  };

  it('reports unknown when the step budget runs out, instead of searching on', () => {
    const r = checkKvHistory(busy(), { maxStepsPerKey: 5 });
    expect(r.ok).toBe('unknown');
    expect(formatCheckResult(r)).toContain('budget');
    expectLinearizable(checkKvHistory(busy()));
  });

  it('reports unknown for a key with more operations than allowed', () => {
    expect(checkKvHistory(busy(), { maxOpsPerKey: 3 }).ok).toBe('unknown');
  });

  it('throws HistoryError on a completion without invoke, a reused id, or a wrong result type', () => {
    expect(() => checkKvHistory([{ type: 'ok', client: 1, opId: 'a', time: 1 }])).toThrow(HistoryError);
    const inv: HistoryEvent = { type: 'invoke', client: 1, opId: 'a', time: 1, op: put('x', '1') };
    expect(() => checkKvHistory([inv, { ...inv, time: 2 }])).toThrow(HistoryError);
    const c: HistoryEvent = { type: 'invoke', client: 1, opId: 'c', time: 1, op: cas('x', '1', '2') };
    expect(() => checkKvHistory([c, { type: 'ok', client: 1, opId: 'c', time: 2, result: 'yes' }])).toThrow(HistoryError);
  });
});

/** A generated operation: its place in the sequential order, window, and fate. */
interface GenOp {
  key: number;
  kind: 'put' | 'get' | 'delete' | 'cas';
  pick: number;
  before: number;
  after: number;
  fate: 'ok' | 'info-applied' | 'info-lost' | 'fail';
}

const genOps = fc.array(
  fc.record({
    key: fc.nat(2),
    kind: fc.constantFrom('put', 'get', 'delete', 'cas') as fc.Arbitrary<GenOp['kind']>,
    pick: fc.nat(5),
    before: fc.nat(6),
    after: fc.nat(6),
    fate: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'info-applied', 'info-lost', 'fail') as fc.Arbitrary<GenOp['fate']>,
  }),
  { minLength: 1, maxLength: 40 },
);

/**
 * fromSequentialModel runs the ops through a sequential key-value model in order (op i takes effect
 * at time 4i) and gives each a random window around that point; lost and failed ops take no effect.
 * Values are unique per write, so a read of a failed write's value can only be a bug.
 */
function fromSequentialModel(gen: GenOp[]): { events: HistoryEvent[]; failedValues: string[] } {
  const state = new Map<string, string>();
  const written: string[] = [];
  const failedValues: string[] = [];
  const events: HistoryEvent[] = [];
  gen.forEach((g, i) => {
    const key = `k${g.key}`;
    const value = `v${i}`;
    const current = state.get(key);
    const expected = g.pick < written.length ? (written[written.length - 1 - g.pick] as string) : (current ?? 'v?');
    const op: KvOperation =
      g.kind === 'put' ? put(key, value) : g.kind === 'get' ? get(key) : g.kind === 'delete' ? del(key) : cas(key, expected, value);
    const applies = g.fate === 'ok' || g.fate === 'info-applied';
    let result: string | boolean | undefined;
    if (g.kind === 'get') result = current;
    if (g.kind === 'cas') result = current === expected;
    if (applies && (g.kind === 'put' || (g.kind === 'cas' && result === true))) state.set(key, value);
    if (applies && g.kind === 'delete') state.delete(key);
    if (g.kind === 'put' || g.kind === 'cas') {
      if (applies) written.push(value);
      else if (g.fate === 'fail') failedValues.push(value); // an info-lost value may show up: it is neither
    }
    const point = 4 * i;
    const opId = `o${i}`;
    events.push({ type: 'invoke', client: i % 5, opId, time: point - 4 * g.before - 1, op });
    const end = point + 4 * g.after + 1;
    const type = g.fate === 'ok' ? 'ok' : g.fate === 'fail' ? 'fail' : 'info';
    events.push({ type, client: i % 5, opId, time: end, ...(type === 'ok' && result !== undefined ? { result } : {}) });
  });
  return { events, failedValues };
}

describe('checkKvHistory: properties', () => {
  it('accepts every history generated from a sequential model with random concurrency windows', () => {
    fc.assert(
      fc.property(genOps, (gen) => {
        const r = checkKvHistory(fromSequentialModel(gen).events);
        if (r.ok !== true) throw new Error(formatCheckResult(r));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects such a history once a read returns a value never written, or the value of a failed write', () => {
    fc.assert(
      fc.property(genOps, fc.nat(), fc.boolean(), (gen, which, useFailed) => {
        const { events, failedValues } = fromSequentialModel(gen);
        const reads = events.filter((e) => e.type === 'ok' && events.some((i) => i.type === 'invoke' && i.opId === e.opId && i.op.f === 'get'));
        fc.pre(reads.length > 0);
        const victim = reads[which % reads.length] as HistoryEvent & { result?: string | boolean | undefined };
        victim.result = useFailed && failedValues.length > 0 ? (failedValues[which % failedValues.length] as string) : 'never-written';
        const r = checkKvHistory(events);
        if (r.ok !== false) throw new Error(`mutated read ${victim.opId} accepted: ${formatCheckResult(r)}`);
      }),
      { numRuns: 300 },
    );
  });
});
