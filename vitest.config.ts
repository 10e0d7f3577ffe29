import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

/**
 * A test's own time bound only catches a stuck run; on a loaded machine (load average per core above 1,
 * measured when the run starts) it grows with the load, so a busy CI machine does not fail a healthy test.
 */
const load = Math.min(50, Math.max(1, (loadavg()[0] ?? 0) / Math.max(1, cpus().length)));

/** Tests import every workspace package from source, so no build is needed before `pnpm test`. */
export default defineConfig({
  resolve: {
    alias: {
      '@omnipaxos/simulator/storage-conformance': fileURLToPath(
        new URL('./packages/simulator/src/storage-conformance.ts', import.meta.url),
      ),
      '@omnipaxos/actors/internal': fileURLToPath(new URL('./packages/actors/src/internal.ts', import.meta.url)),
      '@omnipaxos/core': src('core'),
      '@omnipaxos/actors': src('actors'),
      '@omnipaxos/simulator': src('simulator'),
      '@omnipaxos/storage-sqlite': src('storage-sqlite'),
      '@omnipaxos/transport-tcp': src('transport-tcp'),
    },
  },
  test: {
    // CI sets VITEST_JSON_REPORT to a file path to also get a machine-readable report (.ci/run).
    ...(process.env.VITEST_JSON_REPORT
      ? { reporters: ['default', 'json'], outputFile: { json: process.env.VITEST_JSON_REPORT } }
      : {}),
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: Math.round(120_000 * load),
    hookTimeout: Math.round(60_000 * load),
  },
});
