import type { Message } from '@omnipaxos/core';
import { describe, expect, it } from 'vitest';
import { Router } from '../src/index.js';

const forward = (from: number, to: number, entries: string[]): Message<string> => ({ kind: 'SequencePaxos', from, to, msg: { type: 'ProposalForward', entries } });
const flush = () => new Promise<void>((r) => queueMicrotask(r));

describe('Router copy policy', () => {
  it('hands the receiver the sent object itself with copy: none, and a copy by default', async () => {
    for (const [copy, same] of [['none', true], ['structuredClone', false], [undefined, false]] as const) {
      const r = new Router<string>(copy ? { copy } : {});
      const got: unknown[] = [];
      r.register(2, { deliver: (m) => got.push(m) });
      const m = forward(1, 2, ['a']);
      r.send(m);
      await flush();
      expect(got).toEqual([m]);
      expect(got[0] === m).toBe(same);
    }
  });
});
