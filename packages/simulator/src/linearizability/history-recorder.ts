import type { ClientId, HistoryEvent, KvOperation, KvResult } from './history.js';

/** HistoryRecorderOptions configure a HistoryRecorder. */
export interface HistoryRecorderOptions {
  /** Timestamp source; default a logical counter that increases by one per event. */
  clock?: () => number;
  /** Prefix of generated op ids (default "op"). */
  idPrefix?: string;
}

/**
 * HistoryRecorder records what clients see of a key-value service — invoke, then ok, fail or
 * info — as a history for checkKvHistory. It works wherever events are observed one at a time (the
 * simulator, a test driving real processes): the default logical clock orders events as they are
 * recorded, which is a valid real-time order.
 */
export class HistoryRecorder {
  private readonly log: HistoryEvent[] = [];
  private readonly open = new Map<string, ClientId>();
  private readonly clock: () => number;
  private readonly idPrefix: string;
  private counter = 0;
  private nextId = 0;

  constructor(options: HistoryRecorderOptions = {}) {
    this.clock = options.clock ?? (() => this.counter++);
    this.idPrefix = options.idPrefix ?? 'op';
  }

  /** invoke records that `client` issued `op` and returns its op id (a fresh one unless given). */
  invoke(client: ClientId, op: KvOperation, opId = `${this.idPrefix}${this.nextId++}`): string {
    if (this.open.has(opId)) throw new RangeError(`operation ${opId} is already pending`);
    this.open.set(opId, client);
    this.log.push({ type: 'invoke', client, opId, time: this.clock(), op: { ...op } });
    return opId;
  }

  /** ok records that operation `opId` took effect with `result` (the value read, or whether a cas swapped). */
  ok(opId: string, result?: KvResult): void {
    const client = this.close(opId);
    this.log.push({ type: 'ok', client, opId, time: this.clock(), ...(result === undefined ? {} : { result }) });
  }

  /** fail records that operation `opId` definitely did not take effect. */
  fail(opId: string): void {
    this.log.push({ type: 'fail', client: this.close(opId), opId, time: this.clock() });
  }

  /** info records that the outcome of operation `opId` is unknown (say, it timed out). */
  info(opId: string): void {
    this.log.push({ type: 'info', client: this.close(opId), opId, time: this.clock() });
  }

  /** isPending tells whether `opId` was invoked and not yet completed. */
  isPending(opId: string): boolean {
    return this.open.has(opId);
  }

  /** pendingIds lists the operations still waiting for a completion. */
  pendingIds(): string[] {
    return [...this.open.keys()];
  }

  /** closeAllAsInfo completes every pending operation with `info` (the end of a test run). */
  closeAllAsInfo(): void {
    for (const id of this.pendingIds()) this.info(id);
  }

  /** history returns a copy of the events recorded so far. */
  history(): HistoryEvent[] {
    return this.log.map((e) => ({ ...e }));
  }

  /** counts tallies the completions recorded so far. */
  counts(): { invoked: number; ok: number; fail: number; info: number; pending: number } {
    const c = { invoked: 0, ok: 0, fail: 0, info: 0, pending: this.open.size };
    for (const e of this.log) {
      if (e.type === 'invoke') c.invoked += 1;
      else c[e.type] += 1;
    }
    return c;
  }

  private close(opId: string): ClientId {
    const client = this.open.get(opId);
    if (client === undefined) throw new RangeError(`operation ${opId} is not pending`);
    this.open.delete(opId);
    return client;
  }
}
