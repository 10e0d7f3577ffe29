/**
 * The data the scope server pushes to the page (Server-Sent Events, one `ScopeSnapshot` per poll) and
 * the actions the page posts back. Pure types, shared by the server and the browser bundle.
 */

/** ReplicaView is one replica as the scope last saw it (`up: false` when its /status did not answer). */
export interface ReplicaView {
  pid: number;
  url: string;
  up: boolean;
  /** Why it is down (the last poll's error), when it is. */
  error?: string;
  role: string;
  leader: number | null;
  /** Ballots as `n.priority.pid` (or `-` when none). */
  promise: string;
  acceptedRound: string;
  decidedIdx: number;
  logDecidedIdx: number;
  acceptedIdx: number;
  compactedIdx: number;
  configurationId: number;
  members: number[];
  restarts: number;
  quorumConnected: boolean;
  /** The scope started this replica's process: it can kill and restart it. */
  controllable: boolean;
  /** The process is running (for controllable replicas; true otherwise). */
  running: boolean;
}

/** LinkView is the directed link `from → to` as `from`'s transport sees it. */
export interface LinkView {
  from: number;
  to: number;
  /** The transport's link state (`connected`, `disabled` when cut, `disconnected`, ...) or `unknown`. */
  state: string;
  cut: boolean;
  msgsPerSec: number;
  bytesPerSec: number;
}

/** SeriesPoint is one second of the time series; latencies are null when no operation finished in it. */
export interface SeriesPoint {
  /** Unix time in seconds. */
  t: number;
  decidedPerSec: number;
  p50Ms: number | null;
  p99Ms: number | null;
  ops: number;
  errors: number;
}

/** LeaderChange marks when the cluster's leader (as most up replicas report it) changed. */
export interface LeaderChange {
  t: number;
  leader: number | null;
}

/** WorkloadMode is the workload the scope drives through the native client. */
export type WorkloadMode = 'off' | 'steady' | 'burst';

/** ScenarioName names the paper's three partial-connectivity scenarios. */
export type ScenarioName = 'quorum-loss' | 'constrained-election' | 'chained';

/** ScopeSnapshot is everything the page renders. */
export interface ScopeSnapshot {
  at: number;
  leader: number | null;
  replicas: ReplicaView[];
  links: LinkView[];
  series: SeriesPoint[];
  leaderChanges: LeaderChange[];
  workload: WorkloadMode;
  /** The last scenario run, or action result, as one line for the page. */
  message: string;
  /** Scenarios need exactly five replicas. */
  scenariosAvailable: boolean;
}
