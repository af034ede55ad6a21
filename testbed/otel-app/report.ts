/** Markdown tables of testbed runs: per fault, then the fault-free figures, one column per run. */
import type { RunResult } from './harness.js';

const pct = (n: number, d: number) => (d > 0 ? `${((100 * n) / d).toFixed(1)}%` : '—');

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** `lo–hi` over the runs, or the one value. */
function spread(values: number[], fmt: (v: number) => string): string {
  const ok = values.filter((v) => Number.isFinite(v));
  if (ok.length === 0) return '—';
  const lo = fmt(Math.min(...ok));
  const hi = fmt(Math.max(...ok));
  return lo === hi ? lo : `${lo}–${hi}`;
}

export function markdownReport(runs: RunResult[]): string {
  const runHead = runs.map((_, i) => `run ${i + 1}`);
  const faults = runs[0]?.figures.faults.map((f) => f.name) ?? [];
  const faultRows = faults.map((name) => [
    name,
    ...runs.map((r) => {
      const f = r.figures.faults.find((x) => x.name === name)!;
      const inc = f.ownIncident
        ? `own incident after ${f.openedAfterS} s`
        : f.overlapping.length
          ? `no own incident (${f.overlapping.length} overlapping)`
          : 'no incident';
      return `${inc}; 1st cause ${f.firstCause ?? '—'}${f.firstCauseAtOpen && f.firstCauseAtOpen !== f.firstCause ? ` (at open ${f.firstCauseAtOpen})` : ''}; flagged ${pct(f.flagged, f.injectedTraces)}, top-1 ${pct(f.top1, f.injectedTraces)} of ${f.injectedTraces} traces`;
    }),
  ]);
  const row = (name: string, fn: (r: RunResult) => string) => [name, ...runs.map(fn)];
  const summary = [
    row(
      'faults with their own incident',
      (r) => `${r.figures.faults.filter((f) => f.ownIncident).length}/${r.figures.faults.length}`,
    ),
    row(
      'fault-free anomalies / requests',
      (r) =>
        `${r.figures.cleanAnomalies}/${r.figures.cleanRequests} (${pct(r.figures.cleanAnomalies, r.figures.cleanRequests)})`,
    ),
    row('… of which before the first fault', (r) =>
      r.figures.cleanRequestsBefore === undefined // results saved before it was counted
        ? '—'
        : `${r.figures.cleanAnomaliesBefore}/${r.figures.cleanRequestsBefore} (${pct(r.figures.cleanAnomaliesBefore, r.figures.cleanRequestsBefore)})`,
    ),
    row('host stalls (fault-free stretch): stalls, requests met, anomalies', (r) =>
      r.figures.stalls === undefined // results saved before stalls were watched
        ? '—'
        : `${r.figures.stalls}, ${r.figures.stallRequests}, ${r.figures.stallAnomalies} (${pct(r.figures.stallAnomalies, r.figures.stallRequests)})`,
    ),
    row('false incidents (overlap no fault)', (r) => String(r.figures.falseIncidents.length)),
    row('stray incidents (overlap a fault, own of none)', (r) => String(r.figures.strayIncidents.length)),
    row('incidents', (r) => String(r.figures.incidents)),
    row('requests (failed)', (r) => `${r.figures.requests} (${r.figures.failedRequests})`),
    row('traces scored', (r) => String(r.tracesScored)),
    row(
      'models active / faults began after (s of traffic)',
      (r) => `${r.modelsReadyAfterS} / ${r.faultPhaseAfterS}`,
    ),
    row('wall time (s)', (r) => String(r.wallS)),
  ];
  const spreads = faults.map((name) => {
    const of = (fn: (f: RunResult['figures']['faults'][number]) => number) =>
      runs.map((r) => {
        const f = r.figures.faults.find((x) => x.name === name)!;
        return fn(f);
      });
    return [
      name,
      `${runs.filter((r) => r.figures.faults.find((x) => x.name === name)!.ownIncident).length}/${runs.length}`,
      spread(
        of((f) => f.openedAfterS ?? NaN),
        (v) => `${v} s`,
      ),
      spread(
        of((f) => f.flagged / f.injectedTraces),
        (v) => `${(100 * v).toFixed(0)}%`,
      ),
      spread(
        of((f) => f.top1 / f.injectedTraces),
        (v) => `${(100 * v).toFixed(0)}%`,
      ),
    ];
  });
  const latency = (runs[0]?.figures.pages ?? []).map((p) => [
    p.page,
    ...runs.map((r) => {
      const q = r.figures.pages.find((x) => x.page === p.page);
      if (!q) return '—';
      const during = Object.entries(q.duringFaultP50)
        .map(([name, v]) => `${name} ${Math.round(v)}`)
        .join(', ');
      return `p50 ${Math.round(q.cleanP50)}, p99 ${Math.round(q.cleanP99)}; during: ${during}`;
    }),
  ]);
  const out = [
    table(['fault', ...runHead], faultRows),
    table(['', ...runHead], summary),
    'Request latency as the load generator saw it, ms (fault-free p50 and p99; the p50 during each fault): ' +
      'how loud each fault was against the noise of the machine.',
    table(['page', ...runHead], latency),
  ];
  if (runs.length > 1)
    out.push(
      table(['fault (spread over runs)', 'own incident', 'time to open', 'traces flagged', 'top-1'], spreads),
      `Fault-free anomaly rate over runs: ${spread(
        runs.map((r) => r.figures.cleanAnomalyRate),
        (v) => `${(100 * v).toFixed(2)}%`,
      )}.`,
    );
  return out.join('\n\n');
}
