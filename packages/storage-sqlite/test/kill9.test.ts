import type { Dump } from './kill9-protocol.js';
import { afterAll, describe, expect, it } from 'vitest';
import { Kill9Cluster, sleep, waitFor } from './kill9-cluster.js';
import { tempDir } from './temp-dir.js';

const KILLS = Number(process.env.KILL9_KILLS ?? 50);
const NODES = [1, 2, 3];
const dir = tempDir('kill9');
afterAll(() => dir.remove());

/** A small seeded PRNG (mulberry32): which replica dies is random but replayable from the seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** checkLogs asserts that every acknowledged entry sits at its index in every replica's log. */
function checkLogs(cluster: Kill9Cluster, dumps: Map<number, Dump>, fullLogs: boolean): void {
  expect(cluster.violations).toEqual([]);
  expect(cluster.refusals).toEqual([]);
  for (const [pid, d] of dumps) {
    if (fullLogs) expect(d.entries.slice(0, d.compactedIdx).includes(null), `replica ${pid} lost its snapshot`).toBe(false);
    const missing: string[] = [];
    for (const [idx, e] of cluster.acked) {
      const have = d.entries[idx];
      if (have === e || (have === null && !fullLogs && idx < d.compactedIdx)) continue;
      missing.push(`${idx}: ${String(have)} != ${e}`);
    }
    const meta = `decided ${d.decidedIdx}, compacted ${d.compactedIdx}, holds ${d.entries.length}`;
    expect(missing.slice(0, 10), `replica ${pid} (${meta}) lacks acknowledged entries`).toEqual([]);
  }
  const [a, b, c] = [...dumps.values()] as [Dump, Dump, Dump];
  const common = Math.min(a.decidedIdx, b.decidedIdx, c.decidedIdx);
  for (let i = 0; i < common; i++) {
    const vals = [a, b, c].map((d) => d.entries[i]).filter((v) => v !== null);
    expect(new Set(vals).size <= 1, `replicas disagree at ${i}: ${vals.join(', ')}`).toBe(true);
  }
}

/** settle stops proposing and waits until every replica's log covers every acknowledged entry. */
async function settle(cluster: Kill9Cluster): Promise<Map<number, Dump>> {
  cluster.stopProposing();
  // Proposals still buffered or forwarded may be decided late, so the goal is re-read on every poll
  // and checked again against the dumps.
  const covered = (decided: number[]): boolean => decided.every((d) => d > cluster.maxAcked);
  for (let attempt = 0; ; attempt++) {
    await waitFor('every replica to decide every acknowledged entry', () =>
      covered([...cluster.replicas.values()].map((r) => r.decidedIdx)),
      30_000,
    );
    const dumps = await cluster.dumpAll();
    if (covered([...dumps.values()].map((d) => d.decidedIdx)) || attempt >= 20) return dumps;
  }
}

describe('kill -9 of SqliteStorage replicas (3 processes, IPC relay)', () => {
  it(`loses no acknowledged entry over ${KILLS} SIGKILLs, with snapshots taken while killing`, async () => {
    const seed = Number(process.env.KILL9_SEED ?? Date.now() % 1_000_000);
    const rand = prng(seed);
    const run = tempDir('kill9-snap');
    const cluster = new Kill9Cluster(NODES, (pid) => `${run.path}/replica-${pid}.sqlite`, true);
    try {
      for (const pid of NODES) await cluster.start(pid);
      cluster.startProposing(32);
      await waitFor('first acknowledged entry', () => cluster.acked.size > 0, 30_000);
      for (let k = 0; k < KILLS; k++) {
        const victim = NODES[Math.floor(rand() * NODES.length)] as number;
        if (k % 4 === 3) {
          // Kill during a snapshot: ask the leader to snapshot, then kill soon after.
          cluster.send(cluster.someLeader(), { t: 'snapshot' });
          await sleep(Math.floor(rand() * 8));
        } else {
          await sleep(Math.floor(rand() * 30));
        }
        await cluster.kill(victim);
        await cluster.restart(victim, `kill ${k}, seed ${seed}`);
      }
      const dumps = await settle(cluster);
      checkLogs(cluster, dumps, true);
      console.log(
        `kill9: seed ${seed}, ${KILLS} kills, ${cluster.acked.size} acknowledged entries, ` +
          `${cluster.compactions.length} snapshots, compacted to ${[...dumps.values()].map((d) => d.compactedIdx).join('/')}`,
      );
    } finally {
      await cluster.stop();
      run.remove();
    }
  });

  it('loses no acknowledged entry when replicas are killed during trims', async () => {
    const rand = prng(7);
    const run = tempDir('kill9-trim');
    const cluster = new Kill9Cluster(NODES, (pid) => `${run.path}/replica-${pid}.sqlite`, false);
    const kills = Math.max(6, Math.floor(KILLS / 5));
    try {
      for (const pid of NODES) await cluster.start(pid);
      cluster.startProposing(32);
      for (let k = 0; k < kills; k++) {
        // Trim needs every server to have accepted the prefix: wait until all three caught up.
        const goal = cluster.maxAcked;
        await waitFor(`all replicas at ${goal}`, () => [...cluster.replicas.values()].every((r) => r.decidedIdx > goal), 30_000);
        const leader = cluster.someLeader();
        cluster.send(leader, { t: 'trim' });
        await sleep(Math.floor(rand() * 5));
        const victim = rand() < 0.5 ? leader : (NODES[Math.floor(rand() * NODES.length)] as number);
        await cluster.kill(victim);
        await cluster.restart(victim, `trim kill ${k}`);
      }
      const dumps = await settle(cluster);
      checkLogs(cluster, dumps, false);
      console.log(
        `kill9 trim: ${kills} kills, ${cluster.acked.size} acknowledged, trims: ${cluster.compactions.length}, ` +
          `compacted to ${[...dumps.values()].map((d) => d.compactedIdx).join('/')}`,
      );
    } finally {
      await cluster.stop();
      run.remove();
    }
  });
});
