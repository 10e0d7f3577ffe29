import type { ReplicaView } from '../scope-model.js';

/** ReplicaTable shows one row per replica, with kill/restart buttons for the launcher's processes. */
export function ReplicaTable(props: { replicas: ReplicaView[]; act: (path: string) => void }) {
  return (
    <table class="replicas">
      <thead>
        <tr>
          <th>replica</th><th>state</th><th>role</th><th>leader</th><th>promise</th><th>accepted round</th>
          <th>applied</th><th>decided / accepted / compacted</th><th>config</th><th>restarts</th><th>quorum</th><th></th>
        </tr>
      </thead>
      <tbody>
        {props.replicas.map((r) => (
          <tr key={r.pid} data-testid={`replica-${r.pid}`} class={r.up ? r.role : 'down'}>
            <td><a href={`${r.url}/status`} target="_blank" rel="noreferrer">{r.pid}</a></td>
            <td title={r.error ?? ''}>{r.up ? 'up' : 'down'}</td>
            <td data-testid={`role-${r.pid}`}>{r.role}</td>
            <td>{r.leader ?? '–'}</td>
            <td class="mono">{r.promise}</td>
            <td class="mono">{r.acceptedRound}</td>
            <td class="num">{r.decidedIdx}</td>
            <td class="num">{r.logDecidedIdx} / {r.acceptedIdx} / {r.compactedIdx}</td>
            <td>{r.configurationId ? `#${r.configurationId} {${r.members.join(', ')}}` : '–'}</td>
            <td class="num">{r.restarts}</td>
            <td>{r.up ? (r.quorumConnected ? 'yes' : 'NO') : '–'}</td>
            <td>
              {r.controllable && (r.running
                ? <button data-testid={`kill-${r.pid}`} onClick={() => props.act(`/api/replicas/${r.pid}/kill`)}>kill -9</button>
                : <button data-testid={`restart-${r.pid}`} onClick={() => props.act(`/api/replicas/${r.pid}/restart`)}>restart</button>)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
