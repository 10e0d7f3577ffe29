import { afterAll, describe, expect, it } from 'vitest';
import { ProcessCluster, eventually } from './cluster-harness.js';

/** putsUntil writes distinct keys through `pid` (16 in flight) until `done()`; returns the acknowledged ones. */
async function putsUntil(cluster: ProcessCluster, pid: number, tag: string, done: () => boolean, acked: Map<string, string>): Promise<void> {
  const value = 'v'.repeat(4096);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!done()) {
      const key = `${tag}-${next++}`;
      try {
        await cluster.client(pid).put(key, `${key}:${value}`);
        acked.set(key, `${key}:${value}`);
      } catch {
        await new Promise((r) => setTimeout(r, 20)); // not acknowledged: fine, it may or may not be in the log
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

describe('kv-store: a disk that fails under load', () => {
  const cluster = new ProcessCluster([1, 2, 3]);
  afterAll(() => cluster.stopAll());

  it('fails loudly: status says why, the others keep serving, a restart resumes, no acknowledged write is lost', async () => {
    // Replica 3's database may not grow past 320 KiB: the disk fills up under load.
    cluster.serverArgsFor.set(3, ['--max-db-bytes', String(320 * 1024)]);
    await cluster.startAll();
    const acked = new Map<string, string>();
    let failed = false;
    const watch = (async () => {
      await eventually('replica 3 reports its full disk', async () => {
        const s = await cluster.client(3).status();
        if (s.mode !== 'failed') throw new Error(`mode ${s.mode}`);
        expect(s.failure).toMatch(/replica-3\.sqlite.*full/);
      }, 120_000);
      failed = true;
    })();
    await Promise.all([putsUntil(cluster, 1, 'a', () => failed, acked), putsUntil(cluster, 3, 'b', () => failed, acked), watch]);
    expect(acked.size).toBeGreaterThan(0);
    // The failed replica no longer answers as a replica; the other two keep serving writes.
    await expect(cluster.client(3).put('refused', 'x')).rejects.toThrow(/failed/);
    let after = 0;
    await putsUntil(cluster, 2, 'c', () => after++ >= 40, acked);
    await eventually('a write through replica 1 after the failure', () => cluster.client(1).put('after', 'yes'));
    acked.set('after', 'yes');

    // Space returns: restart replica 3 without the cap; it resumes and catches up.
    await cluster.kill(3);
    cluster.serverArgsFor.set(3, []);
    await cluster.start(3);
    await eventually('replica 3 serves again', async () => {
      const s = await cluster.client(3).status();
      if (s.mode !== 'running') throw new Error(`mode ${s.mode}`);
      expect((await cluster.client(3).get('after')).value).toBe('yes');
    }, 60_000);
    for (const pid of [1, 3]) {
      for (const [key, value] of acked) expect((await cluster.client(pid).get(key)).value, `${key} through ${pid}`).toBe(value);
    }
  }, 240_000);
});
