/**
 * The seed README's flow, in TypeScript: three servers, each a Ballot Leader Election and a
 * Sequence Paxos instance driven by hand (as the original README drives them), elect a leader,
 * decide a few entries, lose server 3, and reconfigure from {1, 2, 3} to {1, 2, 4} with a stop sign.
 */
import {
  BallotLeaderElection,
  type Message,
  MemoryStorage,
  type NodeId,
  SequencePaxos,
} from '@omnipaxos/core';

interface KeyValue {
  key: string;
  value: number;
}

const nodes: NodeId[] = [1, 2, 3];
const configurationId = 1;
const log = (line: string) => console.log(line);

/** A server is the two halves the seed README wires together. */
interface Server {
  ble: BallotLeaderElection;
  paxos: SequencePaxos<KeyValue>;
  alive: boolean;
}

const servers = new Map<NodeId, Server>();
for (const pid of nodes) {
  const peers = nodes.filter((p) => p !== pid);
  servers.set(pid, {
    ble: new BallotLeaderElection({ configurationId, pid, peers }),
    paxos: new SequencePaxos<KeyValue>({ configurationId, pid, nodes }, new MemoryStorage<KeyValue>()),
    alive: true,
  });
}

/** deliverAll moves messages between live servers until there are none left. */
function deliverAll(): void {
  for (;;) {
    const inFlight: Message<KeyValue>[] = [];
    for (const s of servers.values()) {
      if (!s.alive) continue;
      inFlight.push(...s.paxos.takeOutgoingMessages(), ...s.ble.takeOutgoingMessages());
    }
    if (inFlight.length === 0) return;
    for (const m of inFlight) {
      const to = servers.get(m.to);
      if (!to?.alive) continue;
      if (m.kind === 'BLE') to.ble.handle(m);
      else to.paxos.handle(m);
    }
  }
}

/** electionRound ends one heartbeat round everywhere and hands any new leader ballot to Paxos. */
function electionRound(): void {
  for (const [pid, s] of servers) {
    if (!s.alive) continue;
    const ballot = s.ble.hbTimeout(s.paxos.getStatus());
    if (ballot) {
      log(`  server ${pid}: leader election says ballot n=${ballot.n} of server ${ballot.pid} leads`);
      s.paxos.handleLeader(ballot);
    }
  }
  deliverAll();
}

function leaderPid(): NodeId | undefined {
  for (const [pid, s] of servers) if (s.alive && s.paxos.getStatus().role === 'Leader' && s.paxos.getStatus().phase === 'Accept') return pid;
  return undefined;
}

log('1. Three servers start: {1, 2, 3}');
deliverAll();
while (leaderPid() === undefined) electionRound();
const leader = leaderPid() as NodeId;
log(`   -> server ${leader} is the leader`);

log('2. Clients propose to different servers (followers forward to the leader)');
const proposals: [NodeId, KeyValue][] = [
  [1, { key: 'a', value: 1 }],
  [2, { key: 'b', value: 2 }],
  [3, { key: 'a', value: 3 }],
];
for (const [pid, kv] of proposals) {
  servers.get(pid)?.paxos.append(kv);
  log(`   propose ${kv.key}=${kv.value} at server ${pid}`);
}
deliverAll();
for (const [pid, s] of servers) {
  const decided = s.paxos.readDecidedSuffix(0) ?? [];
  const text = decided.map((e) => (e.kind === 'Decided' ? `${e.entry.key}=${e.entry.value}` : e.kind)).join(', ');
  log(`   server ${pid} decided [${text}]`);
}

log('3. Server 3 crashes; servers 1 and 2 still form a majority');
(servers.get(3) as Server).alive = false;
// If server 3 led, the survivors notice in the next heartbeat rounds and elect one of themselves.
while (leaderPid() === undefined) electionRound();
const proposer = leaderPid() as NodeId;
log(`   -> server ${proposer} leads`);

log('4. Reconfigure to {1, 2, 4}: a stop sign ends configuration 1');
servers.get(proposer)?.paxos.reconfigure({ configurationId: 2, nodes: [1, 2, 4] });
deliverAll();
for (const pid of [1, 2]) {
  const s = servers.get(pid) as Server;
  const ss = s.paxos.isReconfigured();
  const last = s.paxos.read(s.paxos.getDecidedIdx() - 1);
  log(
    `   server ${pid}: stop sign ${ss ? `decided -> next configuration ${ss.nextConfig.configurationId} with nodes {${ss.nextConfig.nodes.join(', ')}}` : 'not decided'}; last log entry: ${last?.kind}`,
  );
}
try {
  servers.get(1)?.paxos.append({ key: 'late', value: 0 });
} catch (err) {
  log(`   appending after the stop sign is refused: ${(err as Error).name} ${(err as { code?: string }).code}`);
}
log('Done: servers 1, 2 and the new server 4 continue in configuration 2 (see examples/reconfiguration).');
