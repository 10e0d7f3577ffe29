import type { Message, NodeId, Prng } from '@omnipaxos/core';

interface Kept<T, S> {
  message: Message<T, S>;
  /** How many times the receiver had started when the copy was taken. */
  startsOfReceiver: number;
}

/**
 * ReplayBuffer models a network that keeps copies of messages and delivers them again much later
 * (a datagram retransmitted by a middlebox, a redelivering queue): it samples messages as they pass
 * and hands back a random old one on request. It knows how often each receiver restarted, so a run
 * can tell a replay that reaches a node that restarted since the copy was made.
 */
export class ReplayBuffer<T, S> {
  private readonly kept: Kept<T, S>[] = [];
  private readonly starts = new Map<NodeId, number>();

  constructor(
    private readonly prng: Prng,
    /** Whether a message may be kept (e.g. not forwarded proposals when entries must stay unique). */
    private readonly eligible: (m: Message<T, S>) => boolean,
    private readonly capacity = 64,
    private readonly sampleChance = 0.05,
  ) {}

  /**
   * observe may keep a copy of `m` (call it for each message a link carries). The rare messages that
   * open a sync (Prepare, Promise, AcceptSync) are kept more often than the stream of accepts.
   */
  observe(m: Message<T, S>): void {
    const rare = m.kind === 'SequencePaxos' && (m.msg.type === 'AcceptSync' || m.msg.type === 'Promise' || m.msg.type === 'Prepare');
    if (!this.prng.chance(rare ? 6 * this.sampleChance : this.sampleChance) || !this.eligible(m)) return;
    const kept = { message: structuredClone(m), startsOfReceiver: this.starts.get(m.to) ?? 0 };
    if (this.kept.length < this.capacity) this.kept.push(kept);
    else this.kept[this.prng.int(this.capacity)] = kept;
  }

  /** restarted notes that `pid` started again (copies kept before now reach a new incarnation). */
  restarted(pid: NodeId): void {
    this.starts.set(pid, (this.starts.get(pid) ?? 0) + 1);
  }

  /** keptFor returns the kept messages addressed to `pid`, oldest first. */
  keptFor(pid: NodeId): Message<T, S>[] {
    return this.kept.filter((k) => k.message.to === pid).map((k) => k.message);
  }

  /** pick returns a random kept message and whether its receiver restarted since it was kept. */
  pick(): { message: Message<T, S>; afterRestart: boolean } | undefined {
    if (this.kept.length === 0) return undefined;
    const k = this.prng.pick(this.kept);
    return { message: k.message, afterRestart: (this.starts.get(k.message.to) ?? 0) > k.startsOfReceiver };
  }
}
