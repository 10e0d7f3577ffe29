import { describe, expect, it } from 'vitest';
import { CHANGE_KEY, ReservedKeyError, assertClientCommand } from '../src/internal-keys.js';
import type { KvCommand, KvResult } from '../src/kv-command.js';
import { KvState } from '../src/kv-state.js';
import type { ConfigurationView } from '../src/membership-record.js';
import { Membership, type MembershipHost, parseChange } from '../src/membership.js';

/** FakeHost is a replica for the membership rules: a state machine, link states, and a switch on demand. */
class FakeHost implements MembershipHost {
  readonly state = new KvState();
  readonly log: KvCommand[] = [];
  readonly proposed: ConfigurationView[] = [];
  readonly links = new Map<number, string>();
  readonly addresses = new Map<number, string>();
  /** Peers that complete a handshake once their address is set here. */
  readonly answering = new Set<number>();
  config: ConfigurationView;

  constructor(
    readonly pid: number,
    nodes: number[],
  ) {
    this.config = { configurationId: 1, nodes };
    for (const p of nodes) if (p !== pid) this.links.set(p, 'connected');
  }

  configuration(): ConfigurationView {
    return this.config;
  }
  mode(): string {
    return 'running';
  }
  peerAddress(p: number): string | undefined {
    return this.addresses.get(p);
  }
  linkState(p: number): string | undefined {
    return this.links.get(p);
  }
  setLocalPeer(p: number, address: string | undefined): void {
    if (address === undefined) {
      this.addresses.delete(p);
      this.links.delete(p);
    } else {
      this.addresses.set(p, address);
      this.links.set(p, this.answering.has(p) ? 'connected' : 'connecting');
    }
  }
  readInternal(key: string): string | null {
    return this.state.peek(key);
  }
  async executeInternal(command: KvCommand): Promise<KvResult> {
    this.log.push(command);
    return this.state.apply(command);
  }
  proposeStopSign(next: ConfigurationView): void {
    this.proposed.push(next);
    // the stop sign is decided at once here
    this.config = next;
  }
}

describe('internal keys', () => {
  it('refuses client writes to @ keys and lets reads through', () => {
    expect(() => assertClientCommand({ op: 'put', key: '@peer/2', value: 'x' })).toThrow(ReservedKeyError);
    expect(() => assertClientCommand({ op: 'delete', key: '@membership/change' })).toThrow(/is reserved/);
    expect(() => assertClientCommand({ op: 'cas', key: '@x', expected: null, value: 'y' })).toThrow(ReservedKeyError);
    expect(() => assertClientCommand({ op: 'get', key: '@peer/2' })).not.toThrow();
    expect(() => assertClientCommand({ op: 'put', key: 'peer/2', value: 'x' })).not.toThrow();
  });
});

describe('membership rules', () => {
  it('adds a replica that answers, recording its address and the change in the log', async () => {
    const h = new FakeHost(1, [1, 2, 3]);
    h.answering.add(4);
    const out = await new Membership(h).change({ nodes: [1, 2, 3, 4], peers: { 4: '127.0.0.1:7104' } });
    expect(out).toMatchObject({ decided: true, proposed: { configurationId: 2, nodes: [1, 2, 3, 4] } });
    expect(h.log.map((c) => c.key)).toEqual([CHANGE_KEY, '@peer/4']);
    expect(parseChange(h.state.peek(CHANGE_KEY))).toEqual({ target: 2, nodes: [1, 2, 3, 4], by: 1 });
  });

  it.each<[string, number[], Record<number, string>, RegExp]>([
    ['an empty configuration', [], {}, /non-empty list/],
    ['duplicate pids', [1, 2, 2], {}, /distinct/],
    ['the same configuration', [3, 2, 1], {}, /already the configuration/],
    ['nobody to hand over', [7, 8, 9], { 7: 'h:1', 8: 'h:1', 9: 'h:1' }, /keeps none of the current members/],
    ['a new node without an address', [1, 2, 3, 7], {}, /no address was given/],
    ['a bad address', [1, 2, 3, 7], { 7: 'nowhere' }, /not host:port/],
    ['replacing two of three', [1, 7, 8], { 7: 'h:1', 8: 'h:1' }, /keeps 1 of the 3 current members \{1,2,3\}, not a majority/],
  ])('refuses %s before writing anything', async (_, nodes, peers, message) => {
    const h = new FakeHost(1, [1, 2, 3]);
    await expect(new Membership(h).change({ nodes, peers })).rejects.toThrow(message);
    expect(h.log).toEqual([]);
    expect(h.proposed).toEqual([]);
  });

  it('refuses a configuration without a reachable quorum unless forced', async () => {
    const h = new FakeHost(1, [1, 2, 3]);
    h.links.set(3, 'disconnected');
    await expect(new Membership(h).change({ nodes: [1, 3] })).rejects.toThrow(/only 1 of the next configuration \{1,3\} would be reachable/);
    expect(h.log).toEqual([]);
    await expect(new Membership(h).change({ nodes: [1, 3], force: true })).resolves.toMatchObject({ decided: true });
  });

  it('a shrink by one member needs no majority of the current members: 2 → 1', async () => {
    const h = new FakeHost(1, [1, 2]);
    await expect(new Membership(h).change({ nodes: [1] })).resolves.toMatchObject({ decided: true, proposed: { nodes: [1] } });
  });

  it('refuses a new replica that does not answer, releasing the change record and restoring the transport', async () => {
    const h = new FakeHost(1, [1, 2, 3]);
    await expect(new Membership(h).change({ nodes: [1, 2, 3, 4], peers: { 4: '127.0.0.1:9' }, waitMs: 50 })).rejects.toThrow(
      /replica 4 at 127\.0\.0\.1:9 did not answer a handshake as that pid within 50 ms/,
    );
    expect(h.state.peek(CHANGE_KEY)).toBeNull();
    expect(h.addresses.has(4)).toBe(false);
    expect(h.proposed).toEqual([]);
  });

  it('refuses a change while another one runs (recorded in the log), unless forced', async () => {
    const h = new FakeHost(1, [1, 2, 3]);
    h.state.apply({ op: 'put', key: CHANGE_KEY, value: JSON.stringify({ target: 2, nodes: [1, 2], by: 3 }) });
    await expect(new Membership(h).change({ nodes: [1, 2] })).rejects.toThrow(/another membership change is running: to configuration 2 = \{1,2\}, through replica 3/);
    await expect(new Membership(h).change({ nodes: [1, 2], force: true })).resolves.toMatchObject({ decided: true });
    // A record of a change whose configuration is in place no longer blocks.
    await expect(new Membership(h).change({ nodes: [1] })).resolves.toMatchObject({ decided: true, proposed: { configurationId: 3 } });
  });
});
