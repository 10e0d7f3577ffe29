/**
 * Jepsen-style test against the real 3-process kv-store: concurrent HTTP clients on random replicas
 * while links are cut at the transport (partial and full partitions) and replicas are SIGKILLed and
 * restarted; every recorded history must be accepted by the linearizability checker.
 */
import { checkKvHistory, formatCheckResult } from '@omnipaxos/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessCluster, eventually, scaled } from './cluster-harness.js';
import { JepsenRun, sleep } from './jepsen-real-harness.js';

const PHASE_MS = Number(process.env.JEPSEN_PHASE_MS ?? 2_000);

/** Nemesis is one history's fault schedule; it runs while the clients do. */
type Nemesis = (run: JepsenRun) => Promise<void>;

const others = (run: JepsenRun, pid: number): number[] => run.cluster.nodes.filter((p) => p !== pid);
const leaderOr = async (run: JepsenRun, fallback: number): Promise<number> => (await run.leader()) ?? fallback;

const histories: { name: string; nemesis: Nemesis }[] = [
  {
    // Partial connectivity: a chain (two followers lose their link), then the leader isolated from
    // one follower only, then the leader isolated from both.
    name: 'partitions',
    nemesis: async (run) => {
      const leader = await leaderOr(run, 1);
      const [a, b] = others(run, leader) as [number, number];
      await run.cut(a, b);
      await sleep(PHASE_MS);
      await run.healAll();
      await run.cut(leader, a);
      await sleep(PHASE_MS);
      await run.cut(leader, b);
      await sleep(PHASE_MS);
      await run.healAll();
    },
  },
  {
    // Crash-recovery: SIGKILL the leader and restart it, then a follower.
    name: 'kills',
    nemesis: async (run) => {
      const leader = await leaderOr(run, 1);
      await run.kill(leader);
      await sleep(PHASE_MS);
      await run.restart(leader);
      await sleep(PHASE_MS / 2);
      const follower = run.pick(others(run, await leaderOr(run, leader)));
      await run.kill(follower);
      await sleep(PHASE_MS / 2);
      await run.restart(follower);
    },
  },
  {
    // Mixed: the followers' link is cut, then the leader (their only connection) is SIGKILLed —
    // no quorum until it restarts — then a follower is isolated from the restarted node.
    name: 'mixed',
    nemesis: async (run) => {
      const leader = await leaderOr(run, 1);
      const [a, b] = others(run, leader) as [number, number];
      await run.cut(a, b);
      await sleep(PHASE_MS / 2);
      await run.kill(leader);
      await sleep(PHASE_MS / 2);
      await run.restart(leader);
      await sleep(PHASE_MS);
      await run.healAll();
      await run.cut(leader, a);
      await sleep(PHASE_MS);
      await run.healAll();
    },
  },
  {
    // Random: a seeded sequence of link cuts, heals, kills and restarts (at most one replica down).
    name: 'random',
    nemesis: async (run) => {
      const nodes = run.cluster.nodes;
      let down: number | undefined;
      for (let step = 0; step < 6; step++) {
        const r = run.pick([0, 1, 2, 3]);
        if (down !== undefined && r >= 2) {
          await run.restart(down);
          down = undefined;
        } else if (r === 0) {
          const a = run.pick(nodes);
          await run.cut(a, run.pick(others(run, a)));
        } else if (r === 1) await run.healAll();
        else if (down === undefined) {
          down = run.pick(nodes);
          await run.kill(down);
        }
        await sleep(PHASE_MS / 2);
      }
      if (down !== undefined) await run.restart(down);
      await run.healAll();
    },
  },
];

describe('Jepsen-style test on the real 3-process kv-store (partitions, partial connectivity, SIGKILL)', () => {
  const cluster = new ProcessCluster([1, 2, 3]);
  const totals = { histories: 0, invoked: 0, checked: 0, ok: 0, fail: 0, info: 0, faults: 0 };

  beforeAll(async () => {
    await cluster.startAll();
    await eventually('a leader is elected', async () => {
      if ((await cluster.client(1).status()).leader === null) throw new Error('no leader yet');
    });
  }, scaled(90_000));

  afterAll(async () => {
    await cluster.stopAll();
    console.log(
      `jepsen-real: ${totals.histories} histories, ${totals.invoked} operations invoked, ${totals.checked} checked linearizable ` +
        `(${totals.ok} ok, ${totals.fail} fail, ${totals.info} info; ${totals.faults} faults injected)`,
    );
  });

  histories.forEach(({ name, nemesis }, i) => {
    it(`history "${name}" is linearizable`, async () => {
      const run = new JepsenRun(cluster, name, { clients: 5, keys: 4, timeoutMs: 1_500, seed: 1000 + i });
      // Bounded: the cluster serves again after the previous history (a restarted replica may still catch up).
      expect(await run.waitForService(30_000)).toBe(true);
      run.startClients();
      await sleep(PHASE_MS / 2);
      try {
        await nemesis(run);
      } finally {
        await run.healAll();
        for (const pid of cluster.nodes) if (!run.up.has(pid)) await run.restart(pid);
      }
      // Calm: every replica is up and connected again, so operations complete before the clients stop.
      await sleep(PHASE_MS);
      await run.stop();

      const history = run.recorder.history();
      const verdict = checkKvHistory(history);
      const n = run.recorder.counts();
      console.log(`jepsen-real ${name}: ${formatCheckResult(verdict)}; ${n.invoked} invoked (${n.ok} ok, ${n.fail} fail, ${n.info} info); faults: ${run.faults.join(', ')}`);
      expect(verdict.ok, formatCheckResult(verdict)).toBe(true);
      expect(n.ok).toBeGreaterThan(0);
      totals.histories += 1;
      totals.invoked += n.invoked;
      totals.checked += verdict.operations;
      totals.ok += n.ok;
      totals.fail += n.fail;
      totals.info += n.info;
      totals.faults += run.faults.length;
    }, scaled(90_000));
  });
});
