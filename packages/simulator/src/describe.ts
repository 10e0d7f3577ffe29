import type { Ballot, LogEntry, LogSync, Message, OmniPaxos } from '@omnipaxos/core';

/** describeBallot renders a ballot as `n.priority.pid` (e.g. `2.0.3`), or `-` for the zero ballot. */
export function describeBallot(b: Ballot): string {
  return b.n === 0 && b.pid === 0 ? '-' : `${b.n}.${b.priority}.${b.pid}`;
}

/** describeValue renders an entry deterministically (strings bare, everything else as JSON). */
export function describeValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function describeEntries(entries: readonly unknown[]): string {
  return `[${entries.map(describeValue).join(' ')}]`;
}

function describeSync(s: LogSync<unknown, unknown>): string {
  const parts = [`at=${s.syncIdx}`, `suffix=${describeEntries(s.suffix)}`];
  if (s.decidedSnapshot) parts.push(`snapshot=${s.decidedSnapshot.kind}:${describeValue(s.decidedSnapshot.snapshot)}`);
  if (s.trimmed) parts.push('trimmed');
  if (s.stopSign) parts.push(`ss=c${s.stopSign.nextConfig.configurationId}`);
  return `{${parts.join(' ')}}`;
}

/** describeMessage renders one message on one line, the same way on every run. */
export function describeMessage(m: Message<unknown, unknown>): string {
  const head = `${m.from}->${m.to}`;
  if (m.kind === 'BLE') {
    const msg = m.msg;
    if (msg.type === 'HeartbeatRequest') return `${head} HeartbeatRequest r${msg.round}`;
    return `${head} HeartbeatReply r${msg.round} ballot=${describeBallot(msg.ballot)} leader=${describeBallot(msg.leader)}${msg.happy ? ' happy' : ''}`;
  }
  const msg = m.msg;
  const seq = (s: { session: number; counter: number }) => `${s.session}:${s.counter}`;
  switch (msg.type) {
    case 'PrepareReq':
      return `${head} PrepareReq n=${describeBallot(msg.n)}`;
    case 'Prepare':
      return `${head} Prepare n=${describeBallot(msg.n)} decided=${msg.decidedIdx} accepted=${describeBallot(msg.nAccepted)}@${msg.acceptedIdx}`;
    case 'Promise':
      return `${head} Promise n=${describeBallot(msg.n)} accepted=${describeBallot(msg.nAccepted)}@${msg.acceptedIdx} decided=${msg.decidedIdx}${msg.logSync ? ` sync=${describeSync(msg.logSync)}` : ''}`;
    case 'AcceptSync':
      return `${head} AcceptSync n=${describeBallot(msg.n)} seq=${seq(msg.seqNum)} decided=${msg.decidedIdx} sync=${describeSync(msg.logSync)}`;
    case 'AcceptDecide':
      return `${head} AcceptDecide n=${describeBallot(msg.n)} seq=${seq(msg.seqNum)} decided=${msg.decidedIdx} entries=${describeEntries(msg.entries)}`;
    case 'Accepted':
      return `${head} Accepted n=${describeBallot(msg.n)} accepted=${msg.acceptedIdx}`;
    case 'NotAccepted':
      return `${head} NotAccepted n=${describeBallot(msg.n)}`;
    case 'Decide':
      return `${head} Decide n=${describeBallot(msg.n)} seq=${seq(msg.seqNum)} decided=${msg.decidedIdx}`;
    case 'ProposalForward':
      return `${head} ProposalForward ${describeEntries(msg.entries)}`;
    case 'Compaction':
      return `${head} Compaction ${msg.compaction.kind}${msg.compaction.idx === undefined ? '' : ` ${msg.compaction.idx}`}`;
    case 'AcceptStopSign':
      return `${head} AcceptStopSign n=${describeBallot(msg.n)} seq=${seq(msg.seqNum)} next=c${msg.stopSign.nextConfig.configurationId}[${msg.stopSign.nextConfig.nodes.join(',')}]`;
    case 'ForwardStopSign':
      return `${head} ForwardStopSign next=c${msg.stopSign.nextConfig.configurationId}[${msg.stopSign.nextConfig.nodes.join(',')}]`;
    case 'CatchUpRequest':
      return `${head} CatchUpRequest from=${msg.fromIdx}`;
    case 'CatchUp':
      return `${head} CatchUp at=${msg.fromIdx} decided=${msg.decidedIdx} entries=${describeEntries(msg.entries)}`;
  }
}

/** describeLogEntry renders one log entry. */
export function describeLogEntry(e: LogEntry<unknown, unknown>): string {
  switch (e.kind) {
    case 'Decided':
      return describeValue(e.entry);
    case 'Undecided':
      return `${describeValue(e.entry)}?`;
    case 'Trimmed':
      return `<trimmed ${e.trimmedIdx}>`;
    case 'Snapshotted':
      return `<snapshot ${e.trimmedIdx} ${describeValue(e.snapshot)}>`;
    case 'StopSign':
      return `<stopsign c${e.stopSign.nextConfig.configurationId}[${e.stopSign.nextConfig.nodes.join(',')}]${e.decided ? '' : '?'}>`;
  }
}

/** describeState renders a replica's role, ballot and log indices on one line. */
export function describeState(r: OmniPaxos<unknown, unknown>): string {
  const s = r.getStatus();
  const leader = r.getCurrentLeader();
  const stopSign = r.isReconfigured();
  return [
    `${r.pid}:`,
    s.role === 'Leader' ? `Leader(${s.phase})` : `Follower(${s.phase})`,
    `promise=${describeBallot(s.promise)}`,
    `leader=${leader ? leader.pid : '-'}`,
    `decided=${r.getDecidedIdx()}`,
    `accepted=${r.getAcceptedIdx()}`,
    ...(r.getCompactedIdx() > 0 ? [`compacted=${r.getCompactedIdx()}`] : []),
    ...(stopSign ? [`reconfigured=c${stopSign.nextConfig.configurationId}`] : []),
  ].join(' ');
}

/** describeLog renders a replica's whole readable log on one line. */
export function describeLog(r: OmniPaxos<unknown, unknown>): string {
  const entries = r.readEntries(0, r.getAcceptedIdx()) ?? [];
  return `${r.pid}: ${entries.map(describeLogEntry).join(' ')}`.trimEnd();
}
