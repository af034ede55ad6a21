/** ROC and PR curves as small hand-written SVG (renders on GitHub and in notebooks; no plotting library). */
import type { CurvePoint } from './metrics.js';

export interface Series {
  name: string;
  points: CurvePoint[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const W = 420;
const H = 340;
const M = { left: 50, right: 15, top: 30, bottom: 45 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const r3 = (v: number) => Math.round(v * 10) / 10;

/**
 * A unit-square plot of one or more curves. `diagonal` draws the chance line of a ROC plot; `step` joins
 * points as a staircase (how a curve from tied thresholds should be read).
 */
export function curveSvg(
  title: string,
  series: Series[],
  axes: { x: string; y: string },
  opts: { diagonal?: boolean } = {},
): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const px = (x: number) => r3(M.left + x * pw);
  const py = (y: number) => r3(M.top + (1 - y) * ph);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`,
  ];
  for (let k = 0; k <= 5; k++) {
    const v = k / 5;
    parts.push(
      `<line x1="${px(v)}" y1="${py(0)}" x2="${px(v)}" y2="${py(1)}" stroke="#eee"/>`,
      `<line x1="${px(0)}" y1="${py(v)}" x2="${px(1)}" y2="${py(v)}" stroke="#eee"/>`,
      `<text x="${px(v)}" y="${py(0) + 14}" text-anchor="middle">${v.toFixed(1)}</text>`,
      `<text x="${px(0) - 6}" y="${py(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`,
    );
  }
  parts.push(
    `<rect x="${px(0)}" y="${py(1)}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(axes.x)}</text>`,
    `<text transform="translate(13 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(axes.y)}</text>`,
  );
  if (opts.diagonal)
    parts.push(
      `<line x1="${px(0)}" y1="${py(0)}" x2="${px(1)}" y2="${py(1)}" stroke="#999" stroke-dasharray="4 3"/>`,
    );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${px(p.x)} ${py(p.y)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"/>`);
    const ly = M.top + 14 + i * 15;
    const lx = opts.diagonal ? px(0.45) : px(0.03);
    const legendY = opts.diagonal ? py(0) - 10 - (series.length - 1 - i) * 15 : ly;
    parts.push(
      `<line x1="${lx}" y1="${legendY - 4}" x2="${lx + 16}" y2="${legendY - 4}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${lx + 20}" y="${legendY}">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
