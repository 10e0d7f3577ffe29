import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_DEFAULTS } from '@omnipaxos/core';
import type { ReplicaProcess, ReplicaSpec } from '../src/cluster-process.js';
import { launcherControl } from '../src/scope/launcher-scope.js';
import type { ScopeSnapshot } from '../src/scope/scope-model.js';
import { type Scope, startScope } from '../src/scope/scope-server.js';
import { ProcessCluster, eventually } from './cluster-harness.js';

/**
 * End to end in a real headless browser (Debian's chromium driven by playwright-core): a 3-replica
 * cluster, the scope served for it, and the page used as a person would. Screenshots go to
 * examples/kv-store/test-results/scope/ on failure; SCOPE_DOC_SCREENSHOTS=1 also writes docs/images/scope-*.png.
 */
const BROWSER = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = fileURLToPath(new URL('../test-results/scope/', import.meta.url));
const DOC_IMAGES = fileURLToPath(new URL('../../../docs/images/', import.meta.url));
const TICK_MS = 10; // the replicas' default --tick-ms
/** A generous bound for electing a new leader: 400 election rounds (the paper's bound is a few rounds). */
const NEW_LEADER_MS = 400 * SERVER_DEFAULTS.electionTickTimeout * TICK_MS;
const found = existsSync(BROWSER);
if (!found) {
  console.warn(`\n*** SKIPPING the scope browser test: no chromium at ${BROWSER} (install it: apt-get install -y chromium, or set CHROMIUM_PATH) ***\n`);
}

describe.skipIf(!found)('the scope, in a headless browser, against a 3-replica cluster', () => {
  const cluster = new ProcessCluster([1, 2, 3]);
  const procs: ReplicaProcess[] = [];
  let scope: Scope;
  let context: BrowserContext;
  let page: Page;
  const profile = mkdtempSync(join(tmpdir(), 'scope-chromium-'));

  const snapshot = async (): Promise<ScopeSnapshot> => (await fetch(`${scope.url}api/snapshot`)).json() as Promise<ScopeSnapshot>;
  const pageLeader = async (): Promise<number | null> => {
    const v = await page.getAttribute('[data-testid=leader]', 'data-leader');
    return v === null || v === '' ? null : Number(v);
  };
  /** step runs one part of the test and screenshots the page if it fails. */
  const step = async <R>(name: string, body: () => Promise<R>): Promise<R> => {
    try {
      return await body();
    } catch (err) {
      mkdirSync(OUT, { recursive: true });
      await page.screenshot({ path: join(OUT, `failed-${name}.png`), fullPage: true }).catch(() => undefined);
      console.error(`scope browser test: step "${name}" failed; screenshot in ${OUT}`);
      throw err;
    }
  };
  const docShot = async (name: string): Promise<void> => {
    if (process.env.SCOPE_DOC_SCREENSHOTS !== '1') return;
    mkdirSync(DOC_IMAGES, { recursive: true });
    await page.screenshot({ path: join(DOC_IMAGES, `scope-${name}.png`) });
  };

  beforeAll(async () => {
    await cluster.startAll();
    procs.push(...cluster.procs.values());
    const specs: ReplicaSpec[] = [...cluster.specs.values()];
    scope = await startScope({
      targets: specs.map((s) => ({ pid: s.pid, url: cluster.urls.get(s.pid) ?? '' })),
      control: launcherControl(procs, specs),
      port: 0,
    });
    context = await chromium.launchPersistentContext(profile, {
      executablePath: BROWSER,
      headless: true,
      viewport: { width: 1280, height: 860 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(scope.url);
  }, 90_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await scope?.close().catch(() => undefined);
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await cluster.stopAll();
    rmSync(profile, { recursive: true, force: true });
  });

  it('shows the leader, cuts a link on click, shows a new leader after the leader is killed, and charts throughput', async () => {
    const leader = await step('leader-shown', async () => {
      await page.waitForFunction("document.querySelector('[data-testid=leader]')?.getAttribute('data-leader')", undefined, { timeout: 30_000 });
      const shown = await pageLeader();
      const told = (await cluster.client(1).status()).leader;
      await eventually('the page shows the leader the replicas name', async () => expect(await pageLeader()).toBe((await cluster.client(1).status()).leader));
      expect(shown).not.toBeNull();
      expect(told).not.toBeNull();
      return (await pageLeader()) as number;
    });

    await step('workload', async () => {
      await page.click('[data-testid=workload-steady]');
      await page.waitForSelector('[data-testid=workload-steady].on');
    });

    await step('cut-link', async () => {
      const follower = [1, 2, 3].find((p) => p !== leader) as number;
      const other = [1, 2, 3].find((p) => p !== leader && p !== follower) as number;
      await page.click(`[data-testid=link-${follower}-${other}]`);
      await eventually('the replica reports the link cut', async () => {
        const status = (await cluster.client(follower).status()) as unknown as { links: Record<string, string> };
        expect(status.links[other]).toBe('disabled');
      });
      await page.waitForSelector(`[data-testid=link-${follower}-${other}][data-state=disabled]`);
      await docShot('link-cut');
      await page.click(`[data-testid=link-${follower}-${other}]`);
      await eventually('the replica reports the link healed', async () => {
        const status = (await cluster.client(follower).status()) as unknown as { links: Record<string, string> };
        expect(status.links[other]).not.toBe('disabled');
      });
    });

    const next = await step('kill-leader', async () => {
      await page.click(`[data-testid=kill-${leader}]`);
      // Evaluated in the page: the leader shown is set and differs from the killed one.
      const shownOther = `(() => { const v = document.querySelector('[data-testid=leader]')?.getAttribute('data-leader'); return !!v && Number(v) !== ${leader}; })()`;
      await page.waitForFunction(shownOther, undefined, { timeout: NEW_LEADER_MS });
      const shown = (await pageLeader()) as number;
      expect(shown).not.toBe(leader);
      expect([1, 2, 3]).toContain(shown);
      await page.waitForSelector(`[data-testid=restart-${leader}]`);
      return shown;
    });

    await step('throughput-chart', async () => {
      await eventually('decided entries/s after the new leader took over', async () => {
        const s = await snapshot();
        const after = s.leaderChanges.at(-1)?.t ?? 0;
        expect(s.series.some((p) => p.t > after && p.decidedPerSec > 0)).toBe(true);
      }, 60_000);
      await page.waitForFunction("Number(document.querySelector('[data-testid=chart-throughput]')?.getAttribute('data-points') ?? 0) > 0");
      const points = Number(await page.getAttribute('[data-testid=chart-throughput]', 'data-points'));
      expect(points).toBeGreaterThan(0);
      expect(await page.locator('[data-testid=chart-throughput] canvas').count()).toBeGreaterThan(0);
      await docShot('leader-killed');
    });

    await step('restart', async () => {
      await page.click(`[data-testid=restart-${leader}]`);
      await page.waitForSelector(`[data-testid=kill-${leader}]`, { timeout: 60_000 });
      await eventually('the restarted replica follows the new leader', async () => {
        expect((await cluster.client(next).status()).leader).not.toBeNull();
        const row = await page.textContent(`[data-testid=role-${leader}]`);
        expect(row === 'follower' || row === 'leader').toBe(true);
      }, 60_000);
      await page.click('[data-testid=workload-off]');
      await docShot('recovered');
    });
  });
});
