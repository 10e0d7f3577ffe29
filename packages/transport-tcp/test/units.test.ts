import { describe, expect, it } from 'vitest';
import { Backoff, FrameDecoder, SendQueue, encodeFrame, validateMessage } from '../src/index.js';
import { int, mutateObject, validMessage } from './fuzz-gen.js';
import { mulberry32 } from './helpers.js';

describe('validateMessage', () => {
  const rng = mulberry32(7);

  it('accepts every Paxos and BLE message type built by the generator', () => {
    const types = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const m = validMessage(rng, 1 + int(rng, 5), 1 + int(rng, 5));
      expect(validateMessage(m)).toBe(true);
      types.add(m.msg.type);
    }
    expect(types.size).toBe(14);
  });

  it.each([
    ['null', null],
    ['an array', [1, 2]],
    ['an unknown kind', { kind: 'Raft', from: 1, to: 2, msg: { type: 'PrepareReq', n: { configId: 1, n: 1, priority: 0, pid: 1 } } }],
    ['an unknown type', { kind: 'BLE', from: 1, to: 2, msg: { type: 'Gossip', round: 1 } }],
    ['a prototype key as type', { kind: 'BLE', from: 1, to: 2, msg: { type: 'toString', round: 1 } }],
    ['a zero pid', { kind: 'BLE', from: 0, to: 2, msg: { type: 'HeartbeatRequest', round: 1 } }],
    ['a fractional round', { kind: 'BLE', from: 1, to: 2, msg: { type: 'HeartbeatRequest', round: 1.5 } }],
    ['a negative index', { kind: 'SequencePaxos', from: 1, to: 2, msg: { type: 'Accepted', n: { configId: 1, n: 1, priority: 0, pid: 1 }, acceptedIdx: -1 } }],
    ['a bigint index', { kind: 'SequencePaxos', from: 1, to: 2, msg: { type: 'Accepted', n: { configId: 1, n: 1, priority: 0, pid: 1 }, acceptedIdx: 1n } }],
    ['entries not an array', { kind: 'SequencePaxos', from: 1, to: 2, msg: { type: 'ProposalForward', entries: { 0: 'a' } } }],
    ['a ballot missing its pid', { kind: 'SequencePaxos', from: 1, to: 2, msg: { type: 'NotAccepted', n: { configId: 1, n: 1, priority: 0 } } }],
    ['a stop sign with bad nodes', { kind: 'SequencePaxos', from: 1, to: 2, msg: { type: 'ForwardStopSign', stopSign: { nextConfig: { configurationId: 2, nodes: [1, -2] } } } }],
    ['a log sync without suffix', { kind: 'SequencePaxos', from: 1, to: 2, msg: { type: 'AcceptSync', n: { configId: 1, n: 1, priority: 0, pid: 1 }, seqNum: { session: 1, counter: 1 }, decidedIdx: 0, logSync: { syncIdx: 0 } } }],
  ])('rejects %s', (_name, value) => {
    expect(validateMessage(value)).toBe(false);
  });

  it('never throws on mutated messages', () => {
    for (let i = 0; i < 2000; i++) {
      expect(() => validateMessage(mutateObject(rng, validMessage(rng, 1, 2)))).not.toThrow();
    }
  });
});

describe('FrameDecoder', () => {
  it('reassembles frames split at every byte and joined in one chunk', () => {
    const frames = [Buffer.from('a'), Buffer.from('hello'), Buffer.alloc(300, 7)].map(encodeFrame);
    const stream = Buffer.concat(frames);
    const split = new FrameDecoder(1024);
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...split.push(stream.subarray(i, i + 1)).frames);
    expect(out.map((b) => b.length)).toEqual([1, 5, 300]);
    expect(new FrameDecoder(1024).push(stream).frames.map((b) => b.length)).toEqual([1, 5, 300]);
  });

  it('returns the complete frames before a bad header, then stays broken', () => {
    const bad = Buffer.alloc(4);
    bad.writeUInt32BE(2000);
    const d = new FrameDecoder(1024);
    const batch = d.push(Buffer.concat([encodeFrame(Buffer.from('ok')), bad]));
    expect(batch.frames.map(String)).toEqual(['ok']);
    expect(batch.error?.message).toBe('frame of 2000 bytes exceeds maxFrameBytes 1024');
    expect(d.push(encodeFrame(Buffer.from('x'))).error).toBeDefined();
    expect(new FrameDecoder(1024).push(Buffer.alloc(4)).error?.message).toBe('empty frame');
  });
});

describe('SendQueue and Backoff', () => {
  it('drops the oldest frame when full', () => {
    const q = new SendQueue(2);
    expect([q.push(Buffer.from('1')), q.push(Buffer.from('2')), q.push(Buffer.from('3'))]).toEqual([0, 0, 1]);
    expect([String(q.shift()), String(q.shift()), q.shift()]).toEqual(['2', '3', undefined]);
  });

  it('grows delays exponentially up to the cap, with jitter from the injected source', () => {
    const b = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000 }, () => 1);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000, 1000]);
    b.reset();
    expect(new Backoff({ initialDelayMs: 100 }, () => 0).next()).toBe(50);
    expect(b.next()).toBe(100);
  });
});
