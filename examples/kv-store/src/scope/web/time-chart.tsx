import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { LeaderChange } from '../scope-model.js';

/** ChartSeries is one line of a chart: its label, colour and values (null = no value that second). */
export interface ChartSeries {
  label: string;
  stroke: string;
  values: (number | null)[];
}

/** TimeChart draws series over unix seconds with uPlot, with a dashed line at every leader change. */
export function TimeChart(props: { title: string; testId: string; times: number[]; series: ChartSeries[]; leaderChanges: LeaderChange[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const changes = useRef<LeaderChange[]>(props.leaderChanges);
  changes.current = props.leaderChanges;
  const data = [props.times, ...props.series.map((s) => s.values)] as uPlot.AlignedData;

  useEffect(() => {
    if (box.current === null) return undefined;
    const markLeaders = (u: uPlot): void => {
      const ctx = u.ctx;
      ctx.save();
      ctx.strokeStyle = '#c0392b';
      ctx.fillStyle = '#c0392b';
      ctx.setLineDash([4, 4]);
      ctx.font = `${11 * devicePixelRatio}px sans-serif`;
      for (const c of changes.current) {
        const x = u.valToPos(c.t, 'x', true);
        if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.fillText(c.leader === null ? 'no leader' : `leader ${c.leader}`, x + 3, u.bbox.top + 12 * devicePixelRatio);
      }
      ctx.restore();
    };
    plot.current = new uPlot(
      {
        title: props.title,
        width: Math.max(320, box.current.clientWidth),
        height: 220,
        series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, spanGaps: false }))],
        axes: [{}, { size: 60 }],
        hooks: { draw: [markLeaders] },
      },
      data,
      box.current,
    );
    return () => plot.current?.destroy();
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return <div class="chart" ref={box} data-testid={props.testId} data-points={props.times.length} />;
}
