// Loaded only when a chart is drawn, so the anomaly list's rows never wait for the charting library.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** A small line of percentages over time (seconds since the epoch; null where nothing was measured). */
export function drawRate(el: HTMLElement, xs: number[], ys: (number | null)[], width: number): () => void {
  const top = Math.max(5, ...ys.map((y) => y ?? 0));
  const plot = new uPlot(
    {
      width,
      height: 44,
      legend: { show: false },
      // No drag to zoom, and a click is left to bubble (uPlot stops it after what it takes for a drag): a click
      // anywhere on the chart is the button's, which filters the list.
      cursor: { y: false, points: { show: false }, drag: { x: false, y: false, click: () => {} } },
      axes: [{ show: false }, { show: false }],
      scales: { x: { time: true }, y: { range: [0, top * 1.1] } },
      series: [{}, { stroke: '#c0392b', fill: 'rgba(192, 57, 43, 0.15)', width: 1.5 }],
    },
    [xs, ys],
    el,
  );
  return () => plot.destroy();
}
