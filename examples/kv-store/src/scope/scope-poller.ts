import type { Ballot } from '@omnipaxos/core';
import { KvClient, type KvCredentials } from '../client.js';
import type { KvStatus } from '../kv-node.js';
import type { LeaderChange, LinkView, ReplicaView } from './scope-model.js';

/** ScopeTarget is one replica the scope watches: its pid and HTTP base URL. */
export interface ScopeTarget {
  pid: number;
  url: string;
}

/** PollResult is what one poll of every replica yields. */
export interface PollResult {
  replicas: ReplicaView[];
  links: LinkView[];
  leader: number | null;
  /** The highest decided index any up replica reported. */
  decided: number;
}

const ballotText = (b: Ballot | null | undefined): string => (b ? `${b.n}.${b.priority}.${b.pid}` : '-');

/** majorityLeader is the leader most up replicas name (null when none names one). */
function majorityLeader(views: ReplicaView[]): number | null {
  const votes = new Map<number, number>();
  for (const v of views) if (v.up && v.leader !== null) votes.set(v.leader, (votes.get(v.leader) ?? 0) + 1);
  let best: number | null = null;
  let bestVotes = 0;
  for (const [pid, n] of votes) if (n > bestVotes) [best, bestVotes] = [pid, n];
  return best;
}

/**
 * StatusPoller reads every replica's `/status` (admin view: it needs the transport counters) and
 * turns the counters' growth since the previous poll into per-link messages and bytes per second.
 */
export class StatusPoller {
  private readonly clients = new Map<number, KvClient>();
  private readonly previous = new Map<string, { at: number; sent: number; bytes: number }>();
  private lastLeader: number | null | undefined;
  readonly leaderChanges: LeaderChange[] = [];

  constructor(
    readonly targets: ScopeTarget[],
    credentials: KvCredentials = {},
    timeoutMs = 1500,
  ) {
    for (const t of targets) this.clients.set(t.pid, new KvClient(t.url, timeoutMs, credentials));
  }

  /** client returns the HTTP client of replica `pid`. */
  client(pid: number): KvClient | undefined {
    return this.clients.get(pid);
  }

  /** poll asks every replica for its status at once; `controls` says which processes the scope runs. */
  async poll(controls: (pid: number) => { controllable: boolean; running: boolean }): Promise<PollResult> {
    const now = Date.now();
    const answers = await Promise.all(
      this.targets.map(async (t) => {
        try {
          return { t, status: (await this.clients.get(t.pid)!.status()) as unknown as KvStatus };
        } catch (err) {
          return { t, error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    const pids = this.targets.map((t) => t.pid);
    const replicas: ReplicaView[] = [];
    const links: LinkView[] = [];
    let decided = 0;
    for (const a of answers) {
      const s = a.status;
      const control = controls(a.t.pid);
      if (s === undefined || s.transport === undefined) {
        replicas.push({
          pid: a.t.pid, url: a.t.url, up: false, error: a.error ?? 'the status has no transport counters (is the token an admin token?)',
          role: 'down', leader: null, promise: '-', acceptedRound: '-', decidedIdx: 0, logDecidedIdx: 0, acceptedIdx: 0, compactedIdx: 0,
          configurationId: 0, members: [], restarts: 0, quorumConnected: false, ...control,
        });
        for (const to of pids) if (to !== a.t.pid) links.push({ from: a.t.pid, to, state: 'unknown', cut: false, msgsPerSec: 0, bytesPerSec: 0 });
        continue;
      }
      decided = Math.max(decided, s.decidedIdx);
      replicas.push({
        pid: s.pid, url: a.t.url, up: true, role: s.role ?? (s.leader === s.pid ? 'leader' : 'follower'), leader: s.leader,
        promise: ballotText(s.ballot), acceptedRound: ballotText(s.acceptedRound), decidedIdx: s.decidedIdx,
        logDecidedIdx: s.logDecidedIdx ?? 0, acceptedIdx: s.acceptedIdx ?? 0, compactedIdx: s.compactedIdx ?? 0,
        configurationId: s.configuration.configurationId, members: s.configuration.nodes, restarts: s.restarts ?? 0,
        quorumConnected: s.quorumConnected ?? false, ...control,
      });
      for (const to of pids) {
        if (to === s.pid) continue;
        const peer = s.transport.peers.find((p) => p.pid === to);
        const key = `${s.pid}>${to}`;
        const before = this.previous.get(key);
        const sent = peer?.sent ?? 0;
        const bytes = peer?.bytesSent ?? 0;
        this.previous.set(key, { at: now, sent, bytes });
        const dt = before === undefined ? 0 : (now - before.at) / 1000;
        const rate = (x: number, y: number) => (dt > 0 && x >= y ? (x - y) / dt : 0);
        links.push({
          from: s.pid, to, state: peer?.state ?? 'unknown', cut: peer?.state === 'disabled',
          msgsPerSec: before ? rate(sent, before.sent) : 0, bytesPerSec: before ? rate(bytes, before.bytes) : 0,
        });
      }
    }
    const leader = majorityLeader(replicas);
    if (leader !== this.lastLeader) {
      this.leaderChanges.push({ t: now / 1000, leader });
      if (this.leaderChanges.length > 200) this.leaderChanges.shift();
      this.lastLeader = leader;
    }
    return { replicas, links, leader, decided };
  }
}
