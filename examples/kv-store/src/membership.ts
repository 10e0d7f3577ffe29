import type { NodeId } from '@omnipaxos/core';
import { parseAddress } from './args.js';
import { CHANGE_KEY, PEER_KEY } from './internal-keys.js';
import type { KvCommand, KvResult } from './kv-command.js';
import type { ConfigurationView } from './membership-record.js';

/** MembershipChange is the record of a change in progress (JSON under CHANGE_KEY in the log). */
export interface MembershipChange {
  /** The configuration id the change creates. */
  target: number;
  nodes: NodeId[];
  /** The replica that coordinates it. */
  by: NodeId;
}

/** ChangeRequest is one membership change as the API takes it. */
export interface ChangeRequest {
  nodes: NodeId[];
  /** Replication addresses (`host:port`) of new replicas; known addresses are reused. */
  peers?: Record<number, string>;
  /** Skip the quorum checks (and take over a change its coordinator abandoned). */
  force?: boolean;
  /** How long a new replica has to answer a handshake (ms, default 5000). */
  waitMs?: number;
  /** How long to wait for the stop sign to be decided before answering `decided: false` (ms, default 15000). */
  decideMs?: number;
}

/** ChangeOutcome is the real result of a change: `decided` only once the next configuration runs. */
export interface ChangeOutcome {
  proposed: ConfigurationView;
  decided: boolean;
  configuration: ConfigurationView;
  mode: string;
}

/** MembershipError is a refused change; `status` is the HTTP status (400 invalid or unreachable, 409 another change runs). */
export class MembershipError extends Error {
  override readonly name = 'MembershipError';
  constructor(
    message: string,
    readonly status: 400 | 409,
  ) {
    super(message);
  }
}

/** MembershipHost is what the coordinator needs of its replica (KvNode). */
export interface MembershipHost {
  readonly pid: NodeId;
  configuration(): ConfigurationView;
  mode(): string;
  /** The replication address this replica knows for `pid` (`host:port`). */
  peerAddress(pid: NodeId): string | undefined;
  /** The transport's link state to `pid` (`connected` once it answered a handshake as `pid`). */
  linkState(pid: NodeId): string | undefined;
  /** Points this replica's transport (only) at `address` for `pid`; undefined forgets the peer. */
  setLocalPeer(pid: NodeId, address: string | undefined): void;
  /** The value of an internal key in the applied state. */
  readInternal(key: string): string | null;
  /** Appends an internal command (it may write internal keys). */
  executeInternal(command: KvCommand): Promise<KvResult>;
  proposeStopSign(next: ConfigurationView): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const show = (nodes: readonly NodeId[]): string => `{${nodes.join(',')}}`;
const majority = (n: number): number => Math.floor(n / 2) + 1;

/** parseChange reads the change record stored under CHANGE_KEY. */
export function parseChange(value: string | null): MembershipChange | undefined {
  if (value === null) return undefined;
  try {
    const c = JSON.parse(value) as MembershipChange;
    return Number.isSafeInteger(c.target) && Array.isArray(c.nodes) && Number.isSafeInteger(c.by) ? c : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Membership runs validated membership changes on one replica, one at a time cluster-wide: it checks
 * the next configuration (new replicas must answer a handshake as their pid at the given address; the
 * next configuration must keep someone to hand the log over, a quorum of it must be reachable, and a
 * change of several members must keep a majority of the current ones, unless forced), takes the
 * cluster's change record through the log (a second change is refused while it runs), records the new
 * addresses as internal `@peer/<pid>` entries, proposes the stop sign and reports the real outcome.
 */
export class Membership {
  private busy = false;

  constructor(private readonly host: MembershipHost) {}

  /** running returns the change in progress cluster-wide (as this replica has applied the log), if any. */
  running(): MembershipChange | undefined {
    const c = parseChange(this.host.readInternal(CHANGE_KEY));
    return c && c.target > this.host.configuration().configurationId ? c : undefined;
  }

  /** change validates and runs one membership change; throws MembershipError when it is refused. */
  async change(req: ChangeRequest): Promise<ChangeOutcome> {
    if (this.busy) throw new MembershipError('a membership change is already running through this replica; wait for it to finish', 409);
    this.busy = true;
    try {
      return await this.run(req);
    } finally {
      this.busy = false;
    }
  }

  private async run(req: ChangeRequest): Promise<ChangeOutcome> {
    const h = this.host;
    const current = h.configuration();
    if (h.mode() !== 'running') throw new MembershipError(`replica ${h.pid} is ${h.mode()}, not a running member: send the change to a member of ${show(current.nodes)}`, 400);
    const nodes = checkNodes(req.nodes);
    const next: ConfigurationView = { configurationId: current.configurationId + 1, nodes };
    const fresh = nodes.filter((p) => !current.nodes.includes(p));
    const kept = nodes.filter((p) => current.nodes.includes(p));
    if (fresh.length === 0 && kept.length === current.nodes.length) throw new MembershipError(`${show(nodes)} is already the configuration`, 400);
    if (kept.length === 0) {
      throw new MembershipError(`the next configuration ${show(nodes)} keeps none of the current members ${show(current.nodes)}: nobody could hand the log over`, 400);
    }
    const addresses = new Map<NodeId, string>();
    for (const p of fresh) {
      const given = req.peers?.[p];
      const address = given ?? h.peerAddress(p);
      if (address === undefined) throw new MembershipError(`replica ${p} is not a member and no address was given for it (add it with ${p}=host:port)`, 400);
      try {
        parseAddress(address);
      } catch {
        throw new MembershipError(`the address of replica ${p} is not host:port: ${JSON.stringify(address)}`, 400);
      }
      addresses.set(p, address);
    }
    const changed = fresh.length + (current.nodes.length - kept.length);
    if (req.force !== true && changed > 1 && kept.length < majority(current.nodes.length)) {
      throw new MembershipError(
        `the next configuration ${show(nodes)} keeps ${kept.length} of the ${current.nodes.length} current members ${show(current.nodes)}, ` +
          'not a majority: change one member at a time, or pass force if that is what you want',
        400,
      );
    }
    const unreachable = kept.filter((p) => p !== h.pid && h.linkState(p) !== 'connected');
    const reachableKept = kept.length - unreachable.length;
    if (req.force !== true && reachableKept + fresh.length < majority(nodes.length)) {
      throw new MembershipError(
        `only ${reachableKept + fresh.length} of the next configuration ${show(nodes)} would be reachable ` +
          `(${show(unreachable)} ${unreachable.length === 1 ? 'is' : 'are'} down), not a quorum: it could not serve. Start them first, or pass force`,
        400,
      );
    }

    const claimed = await this.takeChangeRecord(next, req.force === true);
    let proposed = false;
    try {
      await this.probe(addresses, req.waitMs ?? 5000);
      // Every replica learns the new addresses, in log order, before the stop sign.
      for (const [p, address] of addresses) {
        if (h.readInternal(`${PEER_KEY}${p}`) !== address) await h.executeInternal({ op: 'put', key: `${PEER_KEY}${p}`, value: address });
      }
      h.proposeStopSign(next);
      proposed = true;
    } finally {
      if (!proposed) await this.releaseChangeRecord(claimed).catch(() => undefined);
    }
    const deadline = Date.now() + (req.decideMs ?? 15_000);
    while (!this.decided(next) && Date.now() < deadline) await sleep(20);
    return { proposed: next, decided: this.decided(next), configuration: h.configuration(), mode: h.mode() };
  }

  private decided(next: ConfigurationView): boolean {
    return this.host.configuration().configurationId >= next.configurationId || this.host.mode() === 'retired';
  }

  /** takeChangeRecord writes the change record through the log (cas: only one change wins); returns what it replaced. */
  private async takeChangeRecord(next: ConfigurationView, force: boolean): Promise<{ previous: string | null; mine: string }> {
    const h = this.host;
    const previous = h.readInternal(CHANGE_KEY);
    const other = this.running();
    if (other && !force) throw busyError(other);
    const mine = JSON.stringify({ target: next.configurationId, nodes: next.nodes, by: h.pid } satisfies MembershipChange);
    const result = await h.executeInternal({ op: 'cas', key: CHANGE_KEY, expected: previous, value: mine });
    if (result.op === 'cas' && !result.ok) {
      const now = parseChange(result.current);
      throw now ? busyError(now) : new MembershipError('another membership change was recorded at the same time; try again', 409);
    }
    return { previous, mine };
  }

  private async releaseChangeRecord(claimed: { previous: string | null; mine: string }): Promise<void> {
    await this.host.executeInternal({ op: 'cas', key: CHANGE_KEY, expected: claimed.mine, value: claimed.previous });
  }

  /** probe points this replica's transport at each new address and waits until it answers a handshake as its pid. */
  private async probe(addresses: Map<NodeId, string>, waitMs: number): Promise<void> {
    const h = this.host;
    const before = new Map<NodeId, string | undefined>();
    for (const [p, address] of addresses) {
      before.set(p, h.peerAddress(p));
      h.setLocalPeer(p, address);
    }
    const deadline = Date.now() + waitMs;
    const missing = (): NodeId[] => [...addresses.keys()].filter((p) => h.linkState(p) !== 'connected');
    while (missing().length > 0 && Date.now() < deadline) await sleep(20);
    const failed = missing();
    if (failed.length === 0) return;
    for (const [p, address] of before) h.setLocalPeer(p, address);
    const list = failed.map((p) => `replica ${p} at ${addresses.get(p)}`).join(', ');
    throw new MembershipError(
      `${list} did not answer a handshake as ${failed.length === 1 ? 'that pid' : 'those pids'} within ${waitMs} ms: ` +
        'start it with the command `kv member add` prints (its --peers must include this cluster), or check the address. Nothing was changed',
      400,
    );
  }
}

function busyError(c: MembershipChange): MembershipError {
  return new MembershipError(
    `another membership change is running: to configuration ${c.target} = ${show(c.nodes)}, through replica ${c.by}. ` +
      'Wait for it to finish (kv member list), or pass force if its coordinator died',
    409,
  );
}

function checkNodes(nodes: unknown): NodeId[] {
  if (!Array.isArray(nodes) || nodes.length === 0 || !nodes.every((p) => Number.isSafeInteger(p) && (p as number) > 0)) {
    throw new MembershipError('nodes must be a non-empty list of positive integer pids', 400);
  }
  if (new Set(nodes).size !== nodes.length) throw new MembershipError(`nodes must be distinct: ${show(nodes as NodeId[])}`, 400);
  return [...(nodes as NodeId[])].sort((a, b) => a - b);
}
