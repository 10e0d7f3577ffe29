import type { NodeId } from '@omnipaxos/core';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport, decodePayload, encodeFrame, encodePayload, validateMessage } from '../src/index.js';
import { checkHello } from '../src/handshake.js';
import { type Rng, int, mutateBytes, mutateObject, randomBytes, validMessage } from './fuzz-gen.js';
import { type Entry, Inbox, Signal, capturingLogger, heartbeat, mulberry32 } from './helpers.js';
import { RawPeer } from './raw-peer.js';

const SEED = Number(process.env.FUZZ_SEED ?? 8_2024);
const TARGET = 5;
const MAX_FRAME = 64 * 1024;
const FUZZ_PIDS: NodeId[] = [2, 3, 4]; // one raw fuzzing client per pid, in parallel
const QUOTA = 3400; // random or mutated frames per client: 10,200 in all

/** accepts predicts whether the target keeps a connection of `pid` open after this frame payload. */
function accepts(payload: Buffer, pid: NodeId): boolean {
  let value: unknown;
  try {
    value = decodePayload(payload);
  } catch {
    return false;
  }
  return validateMessage(value) && value.from === pid && value.to === TARGET;
}

interface Tally {
  fuzzFrames: number;
  delivered: number;
  connections: number;
}

function hexOf(b: Buffer): string {
  return b.subarray(0, 64).toString('hex');
}

/** fuzzConnection opens one connection as `pid` and feeds it frames until the target closes it. */
async function fuzzConnection(port: number, pid: NodeId, rng: Rng, tally: Tally): Promise<void> {
  const signal = new Signal();
  const peer = await RawPeer.connect(port, signal);
  tally.connections++;
  const closed = (what: string) => signal.until(() => peer.closed, what, 5000);
  if (rng() < 0.1) {
    // A broken handshake: random bytes, or a mutated Hello (sent only if it is really invalid).
    const hello = { kind: 'Hello', protocol: 1, clusterId: 'test-cluster', configurationId: 1, pid, to: TARGET };
    const payload = rng() < 0.5 ? randomBytes(rng, 1 + int(rng, 64)) : encodePayload(mutateObject(rng, hello));
    let valid = false;
    try {
      valid = checkHello(decodePayload(payload), { clusterId: 'test-cluster', self: TARGET }).ok;
    } catch {
      valid = false;
    }
    if (!valid) {
      peer.sendBytes(encodeFrame(payload));
      tally.fuzzFrames++;
      await closed(`close after a bad Hello ${hexOf(payload)}`);
      return;
    }
  }
  peer.hello(pid, TARGET);
  for (let i = 0; i < 40; i++) {
    const r = rng();
    const base = validMessage(rng, pid, TARGET);
    if (r < 0.3) {
      peer.sendValue(base);
      tally.delivered++;
      continue;
    }
    if (r >= 0.95) {
      const header = Buffer.alloc(4);
      header.writeUInt32BE(rng() < 0.3 ? 0 : MAX_FRAME + 1 + int(rng, 1 << 20));
      peer.sendBytes(Buffer.concat([header, randomBytes(rng, int(rng, 16))]));
      tally.fuzzFrames++;
      await closed('close after a bad frame header');
      return;
    }
    let payload: Buffer;
    if (r < 0.6) payload = encodePayload(mutateObject(rng, base));
    else if (r < 0.85) payload = mutateBytes(rng, encodePayload(base));
    else payload = randomBytes(rng, 1 + int(rng, 200));
    tally.fuzzFrames++;
    peer.sendBytes(encodeFrame(payload));
    if (accepts(payload, pid)) {
      tally.delivered++;
      continue;
    }
    await closed(`close after the invalid frame ${hexOf(payload)}`);
    return;
  }
  peer.socket.end(); // flushes what we wrote, then the target closes its side too
  await closed('our own close');
}

describe('TcpTransport fuzzing', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it(`survives ${QUOTA * FUZZ_PIDS.length} random and mutated frames and keeps delivering (seed ${SEED})`, async () => {
    const signal = new Signal();
    const realInbox = new Inbox(signal);
    const real = new TcpTransport<Entry>({ pid: 1, clusterId: 'test-cluster', listen: { host: '127.0.0.1', port: 0 }, peers: {}, random: mulberry32(SEED) });
    real.register(1, realInbox);
    real.onLinkState(() => signal.notify());
    const realAddress = await real.start();
    cleanups.push(() => real.close());
    const dummy = { host: '127.0.0.1', port: 9 }; // pids 2-4 are lower than 5: never dialed
    const targetInbox = new Inbox(signal);
    const target = new TcpTransport<Entry>({
      pid: TARGET,
      clusterId: 'test-cluster',
      listen: { host: '127.0.0.1', port: 0 },
      peers: { 1: realAddress, 2: dummy, 3: dummy, 4: dummy },
      maxFrameBytes: MAX_FRAME,
      logger: capturingLogger(new Signal()),
      random: mulberry32(SEED + 1),
    });
    target.register(TARGET, targetInbox);
    const { port } = await target.start();
    cleanups.push(() => target.close());
    real.setPeerAddress(TARGET, { host: '127.0.0.1', port });
    await signal.until(() => real.linkState(TARGET) === 'connected', 'the real peer connects');

    const tallies = await Promise.all(
      FUZZ_PIDS.map(async (pid) => {
        const rng = mulberry32(SEED * 31 + pid);
        const tally: Tally = { fuzzFrames: 0, delivered: 0, connections: 0 };
        while (tally.fuzzFrames < QUOTA) await fuzzConnection(port, pid, rng, tally);
        return tally;
      }),
    );
    const fuzzFrames = tallies.reduce((s, t) => s + t.fuzzFrames, 0);
    const expected = tallies.reduce((s, t) => s + t.delivered, 0);
    console.info(`fuzz: ${fuzzFrames} random/mutated frames over ${tallies.reduce((s, t) => s + t.connections, 0)} connections, ${expected} valid messages delivered, framesIn ${target.stats().framesIn}`);
    expect(fuzzFrames).toBeGreaterThanOrEqual(10_000);

    // Exactly the frames predicted valid were delivered, and each is a well-formed message for us.
    const fromFuzzers = targetInbox.messages.filter((m) => FUZZ_PIDS.includes(m.from));
    expect(fromFuzzers).toHaveLength(expected);
    expect(targetInbox.messages.every((m) => validateMessage(m) && m.to === TARGET)).toBe(true);
    expect(target.stats().rejectedConnections).toBeGreaterThan(1000);

    // The real link was never disturbed and still carries traffic both ways.
    real.send(heartbeat(1, TARGET, 77));
    target.send(heartbeat(TARGET, 1, 78));
    await signal.until(() => targetInbox.rounds(1).includes(77) && realInbox.rounds(TARGET).includes(78), 'traffic after fuzzing');
    expect(target.stats().peers.find((p) => p.pid === 1)?.connects).toBe(1);
    expect(real.linkState(TARGET)).toBe('connected');
  });
});
