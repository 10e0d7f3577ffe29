import { describe, expect, it } from 'vitest';
import { Figures, bestConfigs, mainTable, median, medianOf, ratio } from '../src/etcd/compare-report.js';
import { processCpuUs, selfCpuUs } from '../src/etcd/process-cpu.js';

const fig = (value: number, server?: number, client?: number, config?: string) => ({ value, server, client, ...(config !== undefined ? { config } : {}) });

describe('compare-etcd report', () => {
  it('takes the median of the rounds that ran, ignoring holes', () => {
    expect(median([3, undefined, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([undefined])).toBeUndefined();
  });

  it('divides ours by the peer per metric and prints the per-round range beside it', () => {
    const figs = new Figures();
    figs.record('ours', 1, 16, '64 in flight', 'puts/s', fig(30_000, 60, 5));
    figs.record('ours', 2, 16, '64 in flight', 'puts/s', fig(40_000, 50, 6));
    figs.record('etcdGo', 1, 16, '64 in flight', 'puts/s', fig(10_000, 200, 30));
    figs.record('etcdGo', 2, 16, '64 in flight', 'puts/s', fig(8_000, 210, 31));
    const m = figs.find(16, '64 in flight');
    expect(ratio(m, 'etcdGo')).toBe(3.89); // 35,000 / 9,000
    expect(ratio(m, 'etcdNode')).toBeNull();
    expect(medianOf(m, 'ours', 'server')).toBe(55);
    const table = mainTable(figs, ['64 in flight'], { go: 'etcd-Go', node: 'etcd-Node' });
    expect(table[2]).toBe('| 16 B | 64 in flight (puts/s) | 35,000 | 9,000 | n/a | 3.89x (3–5x) | n/a | 55 · 205 · n/a | 5.5 · 31 · n/a |');
  });

  it('prints a row without puts (idle CPU) with a dash for its value size and one decimal', () => {
    const figs = new Figures();
    figs.record('ours', 1, 0, 'idle CPU per server process', '% of a core', fig(6.04));
    figs.record('etcdGo', 1, 0, 'idle CPU per server process', '% of a core', fig(1.02));
    const table = mainTable(figs, ['idle CPU per server process'], { go: 'g', node: 'n' });
    expect(table[2]).toBe('| — | idle CPU per server process (% of a core) | 6.0 | 1.0 | n/a | 5.92x (5.92x) | n/a | n/a · n/a · n/a | n/a · n/a · n/a |');
  });

  it('pairs per-round ratios by round, so a round one system missed is left out', () => {
    const figs = new Figures();
    figs.record('ours', 1, 1024, 'best of sweep', 'puts/s', fig(20_000, 40, 10, '4×1024'));
    figs.record('ours', 2, 1024, 'best of sweep', 'puts/s', fig(22_000, 40, 10, '16×1024'));
    figs.record('etcdGo', 2, 1024, 'best of sweep', 'puts/s', fig(11_000, 100, 30, '16×1024'));
    const table = mainTable(figs, ['best of sweep'], { go: 'g', node: 'n' });
    expect(table[2]).toContain('| 1.91x (2x) |');
    expect(bestConfigs(figs, 'best of sweep')).toEqual(['1 KiB best per round (connections×in flight): ours 4×1024 (20,000), 16×1024 (22,000); etcdGo 16×1024 (11,000)']);
  });
});

describe('process CPU time', () => {
  it('reads a live process from /proc and this process from cpuUsage', () => {
    for (let i = 0, x = 0; i < 2e6; i++) x += i; // spend some CPU
    const proc = processCpuUs(process.pid);
    expect(proc).toBeGreaterThan(0);
    expect(selfCpuUs()).toBeGreaterThan(0);
    expect(processCpuUs(2 ** 30)).toBeUndefined();
  });
});
