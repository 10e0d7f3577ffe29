import type { NodeId } from '@omnipaxos/core';

/** LinkFaults are the probabilistic faults of one directed link. */
export interface LinkFaults {
  /** Probability that a message is lost. */
  drop: number;
  /** Probability that a message is delivered twice. */
  duplicate: number;
  /** Smallest and largest delay in ticks (0 = within the same tick); a spread reorders messages. */
  minDelay: number;
  maxDelay: number;
}

/** NO_FAULTS is a perfect link: no loss, no duplicates, delivered within the tick. */
export const NO_FAULTS: Readonly<LinkFaults> = Object.freeze({ drop: 0, duplicate: 0, minDelay: 0, maxDelay: 0 });

const key = (from: NodeId, to: NodeId): string => `${from}>${to}`;

/**
 * LinkMatrix holds the state of every directed link: up or down, and its faults. Links default to
 * up with the default faults.
 */
export class LinkMatrix {
  private readonly down = new Set<string>();
  private readonly faults = new Map<string, LinkFaults>();
  defaults: LinkFaults = { ...NO_FAULTS };

  /** isUp tells whether messages from `from` reach `to`. */
  isUp(from: NodeId, to: NodeId): boolean {
    return !this.down.has(key(from, to));
  }

  /** faultsOf returns the faults of the link from `from` to `to`. */
  faultsOf(from: NodeId, to: NodeId): LinkFaults {
    return this.faults.get(key(from, to)) ?? this.defaults;
  }

  /** setFaults sets one directed link's faults. */
  setFaults(from: NodeId, to: NodeId, faults: LinkFaults): void {
    this.faults.set(key(from, to), { ...faults });
  }

  /** cut takes down both directions between a and b. */
  cut(a: NodeId, b: NodeId): void {
    this.down.add(key(a, b));
    this.down.add(key(b, a));
  }

  /** cutOneWay takes down only the link from `from` to `to`. */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.down.add(key(from, to));
  }

  /** heal brings back both directions between a and b. */
  heal(a: NodeId, b: NodeId): void {
    this.down.delete(key(a, b));
    this.down.delete(key(b, a));
  }

  /** healAll brings every link back up and clears all faults. */
  healAll(): void {
    this.down.clear();
    this.faults.clear();
    this.defaults = { ...NO_FAULTS };
  }

  /** isolate cuts `pid` off from every other node. */
  isolate(pid: NodeId, nodes: readonly NodeId[]): void {
    for (const other of nodes) if (other !== pid) this.cut(pid, other);
  }

  /** partition keeps links only within each group. */
  partition(groups: readonly (readonly NodeId[])[], nodes: readonly NodeId[]): void {
    const groupOf = new Map<NodeId, number>();
    groups.forEach((g, i) => g.forEach((p) => groupOf.set(p, i)));
    for (const a of nodes) {
      for (const b of nodes) {
        if (a !== b && groupOf.get(a) !== groupOf.get(b)) this.cut(a, b);
      }
    }
  }

  /** setConnectivity applies a symmetric adjacency: exactly the listed pairs are connected. */
  setConnectivity(connected: readonly (readonly [NodeId, NodeId])[], nodes: readonly NodeId[]): void {
    const keep = new Set(connected.flatMap(([a, b]) => [key(a, b), key(b, a)]));
    for (const a of nodes) for (const b of nodes) if (a !== b) (keep.has(key(a, b)) ? this.heal(a, b) : this.cut(a, b));
  }

  /** downLinks lists the directed links that are down, as "a>b". */
  downLinks(): string[] {
    return [...this.down].sort();
  }
}
