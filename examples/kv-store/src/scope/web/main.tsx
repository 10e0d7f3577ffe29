import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import type { ScopeSnapshot, WorkloadMode } from '../scope-model.js';
import { post, subscribe } from './api.js';
import { LinkMatrix } from './link-matrix.js';
import { ReplicaTable } from './replica-table.js';
import { TimeChart } from './time-chart.js';
import './scope.css';

const MODES: WorkloadMode[] = ['off', 'steady', 'burst'];
const SCENARIOS: [string, string][] = [['quorum-loss', 'quorum loss'], ['constrained-election', 'constrained election'], ['chained', 'chained']];

function App() {
  const [snap, setSnap] = useState<ScopeSnapshot | null>(null);
  const [connected, setConnected] = useState(false);
  const [note, setNote] = useState('');
  useEffect(() => subscribe(setSnap, setConnected), []);
  const act = (path: string): void => {
    setNote(`${path} …`);
    void post(path).then(setNote, (e: unknown) => setNote(`failed: ${String(e)}`));
  };
  if (snap === null) return <p>connecting to the scope server…</p>;
  const pids = snap.replicas.map((r) => r.pid);
  const times = snap.series.map((p) => p.t);
  return (
    <main>
      <header>
        <h1>kv-store scope</h1>
        <span id="leader" data-testid="leader" data-leader={snap.leader ?? ''}>
          leader: <b>{snap.leader ?? 'none'}</b>
        </span>
        <span class={connected ? 'live' : 'stale'}>{connected ? 'live' : 'reconnecting…'}</span>
      </header>
      <section class="controls">
        <span>workload:</span>
        {MODES.map((m) => (
          <button key={m} data-testid={`workload-${m}`} class={snap.workload === m ? 'on' : ''} onClick={() => act(`/api/workload/${m}`)}>{m}</button>
        ))}
        <span>scenarios:</span>
        {SCENARIOS.map(([id, label]) => (
          <button key={id} disabled={!snap.scenariosAvailable} title={snap.scenariosAvailable ? '' : 'needs 5 replicas: pnpm start --nodes 5'}
            onClick={() => act(`/api/scenarios/${id}`)}>{label}</button>
        ))}
        <button data-testid="heal-all" onClick={() => act('/api/heal-all')}>heal all links</button>
      </section>
      <p class="message" data-testid="message">{note || snap.message}</p>
      <h2>replicas</h2>
      <ReplicaTable replicas={snap.replicas} act={act} />
      <h2>links (row sends to column; click to cut or heal)</h2>
      <LinkMatrix pids={pids} links={snap.links} act={act} />
      <h2>time series (dashed: leader changes)</h2>
      <div class="charts">
        <TimeChart title="decided entries/s" testId="chart-throughput" times={times} leaderChanges={snap.leaderChanges}
          series={[{ label: 'decided/s', stroke: '#2e86c1', values: snap.series.map((p) => p.decidedPerSec) }]} />
        <TimeChart title="client latency (ms)" testId="chart-latency" times={times} leaderChanges={snap.leaderChanges}
          series={[
            { label: 'p50', stroke: '#27ae60', values: snap.series.map((p) => p.p50Ms) },
            { label: 'p99', stroke: '#8e44ad', values: snap.series.map((p) => p.p99Ms) },
          ]} />
      </div>
    </main>
  );
}

const root = document.getElementById('root');
if (root !== null) {
  root.textContent = '';
  render(<App />, root);
}
