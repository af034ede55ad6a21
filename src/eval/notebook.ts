/**
 * Jupyter notebooks written by hand (nbformat 4) for the TypeScript kernel tslab: markdown cells hold the
 * tables, code cells re-run the suite, and each code cell carries its saved outputs (text/markdown tables,
 * image/svg+xml curves) so the notebook reads on GitHub without running anything.
 */
import type { SuiteResult } from './run.js';
import { curveSvg } from './svg.js';
import type { SimResult } from './suites/sim.js';
import type { TraceAnomalyResult } from './suites/traceanomaly.js';
import type { DetectionResult } from './detection.js';

export interface Curve {
  /** File-name suffix: roc or pr. */
  name: 'roc' | 'pr';
  svg: string;
}

type Output = {
  output_type: 'display_data';
  data: Record<string, string[]>;
  metadata: Record<string, never>;
};
type Cell =
  | { cell_type: 'markdown'; metadata: Record<string, never>; source: string[] }
  | {
      cell_type: 'code';
      metadata: Record<string, never>;
      execution_count: number;
      source: string[];
      outputs: Output[];
    };

/** nbformat stores text as a list of lines, each but the last ending in a newline. */
function lines(text: string): string[] {
  const ls = text.split('\n');
  return ls.map((l, i) => (i < ls.length - 1 ? `${l}\n` : l)).filter((l) => l !== '');
}

export function markdownCell(text: string): Cell {
  return { cell_type: 'markdown', metadata: {}, source: lines(text) };
}

export function codeCell(n: number, code: string, outputs: Output[]): Cell {
  return { cell_type: 'code', metadata: {}, execution_count: n, source: lines(code), outputs };
}

export function markdownOutput(md: string): Output {
  return {
    output_type: 'display_data',
    data: { 'text/markdown': lines(md), 'text/plain': lines(md) },
    metadata: {},
  };
}

export function svgOutput(svg: string): Output {
  return {
    output_type: 'display_data',
    data: { 'image/svg+xml': lines(svg), 'text/plain': ['<svg>'] },
    metadata: {},
  };
}

export function notebook(cells: Cell[]): object {
  return {
    cells,
    metadata: {
      kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' },
      language_info: { name: 'typescript', file_extension: '.ts', mimetype: 'text/typescript' },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

function detectionCurves(title: string, series: { name: string; d: DetectionResult }[]): Curve[] {
  if (series.length === 0) return [];
  return [
    {
      name: 'roc',
      svg: curveSvg(
        `${title}: ROC`,
        series.map((s) => ({ name: `${s.name} (AUC ${s.d.rocAuc.toFixed(3)})`, points: s.d.roc })),
        { x: 'false-positive rate', y: 'true-positive rate' },
        { diagonal: true },
      ),
    },
    {
      name: 'pr',
      svg: curveSvg(
        `${title}: precision-recall`,
        series.map((s) => ({ name: `${s.name} (AP ${s.d.prAuc.toFixed(3)})`, points: s.d.pr })),
        { x: 'recall', y: 'precision' },
      ),
    },
  ];
}

/** ROC and PR plots of one suite result (several curves in one plot where a suite compares detectors). */
export function curvesFor(r: SuiteResult): Curve[] {
  if (r.suite === 'traceanomaly') {
    const t = r as TraceAnomalyResult;
    return detectionCurves(
      'TraceAnomaly vectors',
      t.detectors.map((d) => ({
        name: d.detector,
        d: { ...d, positives: 0, negatives: 0, f1AtThreshold: { f1: 0, precision: 0, recall: 0 } },
      })),
    );
  }
  const d = (r as { detection: DetectionResult | null }).detection;
  return d ? detectionCurves(r.suite, [{ name: 'Tracehound', d }]) : [];
}

/** Curves of many simulated scenarios of one system in one plot. */
export function simCurves(system: string, results: SimResult[]): Curve[] {
  return detectionCurves(
    `simulated ${system}`,
    results.filter((r) => r.detection).map((r) => ({ name: r.scenario, d: r.detection! })),
  );
}
