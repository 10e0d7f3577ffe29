/**
 * compare-etcd's figures and their tables: every measurement per value size, row, system and round,
 * printed as medians over the rounds with the ratios of ours to etcd (driven from Go and from Node),
 * the range of the per-round ratios, and the CPU µs per put of servers and client.
 */

/** SystemName names the three columns: ours, etcd driven by the Go generator, etcd driven by the Node `etcd3` client. */
export type SystemName = 'ours' | 'etcdGo' | 'etcdNode';

/** SYSTEMS lists the systems in column order. */
export const SYSTEMS: readonly SystemName[] = ['ours', 'etcdGo', 'etcdNode'];

/** Figure is one system's figure in one round, with the CPU µs per put of its servers and client, and the configuration that gave it. */
export interface Figure {
  value: number;
  server: number | undefined;
  client: number | undefined;
  config?: string;
}

/** Metric is one row of a table: per system, the figure of each round (indexed by round − 1; holes where it did not run). */
export interface Metric {
  size: number;
  name: string;
  unit: 'ms' | 'puts/s' | '% of a core';
  rounds: Record<SystemName, (Figure | undefined)[]>;
}

/** Figures holds every metric measured so far, in the order first recorded. */
export class Figures {
  readonly metrics: Metric[] = [];

  /** record stores `system`'s figure for round `round` (1-based). */
  record(system: SystemName, round: number, size: number, name: string, unit: Metric['unit'], fig: Figure): void {
    this.get(size, name, unit).rounds[system][round - 1] = fig;
  }

  /** get returns the metric, creating it empty. */
  get(size: number, name: string, unit: Metric['unit']): Metric {
    let m = this.metrics.find((x) => x.size === size && x.name === name);
    if (m === undefined) {
      m = { size, name, unit, rounds: { ours: [], etcdGo: [], etcdNode: [] } };
      this.metrics.push(m);
    }
    return m;
  }

  /** find returns the metric if it was recorded. */
  find(size: number, name: string): Metric | undefined {
    return this.metrics.find((x) => x.size === size && x.name === name);
  }
}

const present = <T>(xs: readonly (T | undefined)[]): T[] => xs.filter((x): x is T => x !== undefined);

/** median of the numbers, undefined when there are none. */
export function median(xs: readonly (number | undefined)[]): number | undefined {
  const s = present(xs)
    .filter((x) => Number.isFinite(x))
    .sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** medianOf is the median over rounds of one system's figures (or of their server/client CPU). */
export function medianOf(m: Metric | undefined, s: SystemName, field: 'value' | 'server' | 'client' = 'value'): number | undefined {
  return m === undefined ? undefined : median(m.rounds[s].map((f) => f?.[field]));
}

/** ratio is ours over `peer` of the two medians, rounded to 2 decimals; null when either has no figure. */
export function ratio(m: Metric | undefined, peer: SystemName): number | null {
  const ours = medianOf(m, 'ours');
  const other = medianOf(m, peer);
  return ours === undefined || other === undefined || other === 0 ? null : round2(ours / other);
}

/** roundRange is the range of the per-round ratios ours/peer (rounds where both ran), e.g. "7.9–8.6x". */
function roundRange(m: Metric, peer: SystemName): string {
  const rs: number[] = [];
  m.rounds.ours.forEach((o, i) => {
    const p = m.rounds[peer][i];
    if (o !== undefined && p !== undefined && p.value !== 0) rs.push(o.value / p.value);
  });
  if (rs.length === 0) return '';
  const lo = round2(Math.min(...rs));
  const hi = round2(Math.max(...rs));
  return lo === hi ? `${lo}x` : `${lo}–${hi}x`;
}

function fmt(unit: Metric['unit'], v: number | undefined): string {
  if (v === undefined) return 'n/a';
  if (unit === 'ms') return v.toFixed(2);
  return unit === 'puts/s' ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
}

const cpu = (v: number | undefined): string => (v === undefined ? 'n/a' : v < 10 ? v.toFixed(1) : Math.round(v).toString());

/** sizeLabel prints a value size; size 0 marks a row without puts (idle). */
const sizeLabel = (size: number): string => (size === 0 ? '—' : size % 1024 === 0 ? `${size / 1024} KiB` : `${size} B`);

/** ratioCell prints "R x (per-round range)" or "n/a". */
function ratioCell(m: Metric, peer: SystemName): string {
  const r = ratio(m, peer);
  return r === null ? 'n/a' : `${r}x (${roundRange(m, peer)})`;
}

/** mainTable prints the rows named in `names` (per size) with ratios and CPU columns. */
export function mainTable(figs: Figures, names: readonly string[], peers: { go: string; node: string }): string[] {
  const out = [
    `| value | row | ours | ${peers.go} | ${peers.node} | ours/etcd-Go (per round) | ours/etcd-Node (per round) | server CPU µs/put: ours · etcd-Go · etcd-Node | client CPU µs/put: ours · etcd-Go · etcd-Node |`,
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const m of figs.metrics) {
    if (!names.includes(m.name)) continue;
    const cells = SYSTEMS.map((s) => fmt(m.unit, medianOf(m, s)));
    const servers = SYSTEMS.map((s) => cpu(medianOf(m, s, 'server'))).join(' · ');
    const clients = SYSTEMS.map((s) => cpu(medianOf(m, s, 'client'))).join(' · ');
    out.push(`| ${sizeLabel(m.size)} | ${m.name} (${m.unit}) | ${cells.join(' | ')} | ${ratioCell(m, 'etcdGo')} | ${ratioCell(m, 'etcdNode')} | ${servers} | ${clients} |`);
  }
  return out;
}

/** sweepTable prints the median puts/s of every connections × in-flight point, per size. */
export function sweepTable(figs: Figures, names: readonly string[]): string[] {
  const out = ['| value | connections × in flight | ours | etcd-Go | etcd-Node | server CPU µs/put: ours · etcd-Go · etcd-Node |', '|---:|---|---:|---:|---:|---:|'];
  for (const m of figs.metrics) {
    if (!names.includes(m.name)) continue;
    const cells = SYSTEMS.map((s) => fmt(m.unit, medianOf(m, s)));
    const servers = SYSTEMS.map((s) => cpu(medianOf(m, s, 'server'))).join(' · ');
    out.push(`| ${sizeLabel(m.size)} | ${m.name} | ${cells.join(' | ')} | ${servers} |`);
  }
  return out;
}

/** bestConfigs lists, per size and system, which configuration was best in each round. */
export function bestConfigs(figs: Figures, name: string): string[] {
  const out: string[] = [];
  for (const m of figs.metrics) {
    if (m.name !== name) continue;
    const parts = SYSTEMS.map((s) => {
      const got = present(m.rounds[s]);
      return got.length === 0 ? undefined : `${s} ${got.map((f) => `${f.config ?? '?'} (${Math.round(f.value).toLocaleString('en-US')})`).join(', ')}`;
    }).filter((x) => x !== undefined);
    out.push(`${sizeLabel(m.size)} best per round (connections×in flight): ${parts.join('; ')}`);
  }
  return out;
}
