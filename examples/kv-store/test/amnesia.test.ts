import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnReplica } from '../src/cluster-process.js';
import { ProcessCluster, eventually } from './cluster-harness.js';

describe('kv-store: no silent amnesia', () => {
  const cluster = new ProcessCluster([1, 2, 3]);
  afterAll(() => cluster.stopAll());

  it('refuses to start from an emptied database, and starts blank only with --force-new-identity', async () => {
    await cluster.startAll();
    await eventually('a first write', () => cluster.client(1).put('k', 'v1'));
    await eventually('replica 3 has it', async () => expect((await cluster.client(3).get('k')).value).toBe('v1'));
    await cluster.kill(3);
    const db = join(cluster.dataDir, 'replica-3.sqlite');
    for (const f of readdirSync(cluster.dataDir)) if (f.startsWith('replica-3.sqlite-')) rmSync(join(cluster.dataDir, f));
    writeFileSync(db, '');
    const spec = cluster.specs.get(3);
    if (spec === undefined) throw new Error('no spec');
    const refused = spawnReplica(spec);
    await expect(refused.ready).rejects.toThrow(/empty \(0 bytes\).*silent amnesia/);
    expect(await refused.exited).toBe(1);

    cluster.serverArgsFor.set(3, ['--force-new-identity']);
    await cluster.start(3);
    await eventually('replica 3 caught up after a forced new identity', async () => {
      expect((await cluster.client(3).get('k')).value).toBe('v1');
    }, 60_000);
    expect(readdirSync(cluster.dataDir).some((f) => f.startsWith('replica-3.sqlite.damaged-'))).toBe(true);
  }, 120_000);
});
