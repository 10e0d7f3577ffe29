import type { LinkView } from '../scope-model.js';
import { rate } from './api.js';

/** LinkMatrix shows every directed link (row = sender) with msgs/s and bytes/s; a click cuts or heals it. */
export function LinkMatrix(props: { pids: number[]; links: LinkView[]; act: (path: string) => void }) {
  const find = (from: number, to: number) => props.links.find((l) => l.from === from && l.to === to);
  return (
    <table class="links">
      <thead>
        <tr><th>from \ to</th>{props.pids.map((p) => <th key={p}>{p}</th>)}</tr>
      </thead>
      <tbody>
        {props.pids.map((from) => (
          <tr key={from}>
            <th>{from}</th>
            {props.pids.map((to) => {
              if (from === to) return <td key={to} class="self">·</td>;
              const l = find(from, to);
              const state = l?.state ?? 'unknown';
              return (
                <td key={to} class={`link ${l?.cut ? 'cut' : state}`}>
                  <button
                    data-testid={`link-${from}-${to}`}
                    data-state={state}
                    title={`${from} → ${to}: ${state}; click to ${l?.cut ? 'heal' : 'cut'}`}
                    onClick={() => props.act(`/api/links/${from}/${to}/${l?.cut ? 'heal' : 'cut'}`)}
                  >
                    <span class="state">{l?.cut ? 'cut' : state}</span>
                    <span class="rate">{rate(l?.msgsPerSec ?? 0)} msg/s</span>
                    <span class="rate">{rate(l?.bytesPerSec ?? 0)}B/s</span>
                  </button>
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
