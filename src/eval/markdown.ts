/** Markdown tables of suite results, our figures beside the published ones. */
import type { Cost } from './cost.js';
import type { DetectionResult } from './detection.js';
import type { RankingSummary } from './metrics.js';
import type { SuiteResult } from './run.js';
import type { NezhaResult } from './suites/nezha.js';
import type { ShapleyIqResult } from './suites/shapleyiq.js';
import type { SimResult } from './suites/sim.js';
import type { TraceAnomalyResult } from './suites/traceanomaly.js';
import type { SamplingResult } from './suites/sampling.js';
import { samplingHeadline, samplingMarkdown } from './sampling-markdown.js';
import type { KindTally } from './detection.js';
import type { EndToEndSummary } from './end-to-end.js';

const pct = (v: number | undefined) =>
  v === undefined || Number.isNaN(v) ? '—' : `${(100 * v).toFixed(2)}%`;
const num = (v: number | undefined, d = 3) => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(d));

/** A markdown table: the first column left-aligned, the rest right-aligned. */
export function table(head: string[], rows: (string | number)[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function rankingRow(name: string, r: RankingSummary): (string | number)[] {
  return [name, pct(r.top[1]), pct(r.top[3]), pct(r.top[5]), num(r.meanRank, 2), r.cases];
}

export function detectionTable(d: DetectionResult | null, note = ''): string {
  if (!d) return '_No detection metrics: one of the two classes is missing._';
  return (
    table(
      ['ROC-AUC', 'PR-AUC', 'best F1 (P / R)', 'F1 at model threshold (P / R)', 'positives', 'negatives'],
      [
        [
          num(d.rocAuc, 4),
          num(d.prAuc, 4),
          `${num(d.bestF1.f1)} (${num(d.bestF1.precision)} / ${num(d.bestF1.recall)})`,
          `${num(d.f1AtThreshold.f1)} (${num(d.f1AtThreshold.precision)} / ${num(d.f1AtThreshold.recall)})`,
          d.positives,
          d.negatives,
        ],
      ],
    ) + (note ? `\n\n${note}` : '')
  );
}

export function costTable(c: Cost, unit = 'spans'): string {
  return table(
    [
      'train s',
      'score s',
      `train ${unit}`,
      `scored ${unit}`,
      `${unit}/s scored`,
      'peak RSS MB',
      'peak heap MB',
    ],
    [
      [
        num(c.trainSeconds, 1),
        num(c.scoreSeconds, 1),
        c.trainSpans,
        c.scoreSpans,
        Math.round(c.spansPerSecond),
        c.peakRssMb,
        c.peakHeapMb,
      ],
    ],
  );
}

function kindsTable(k: KindTally): string {
  const rows = Object.entries(k)
    .sort((a, b) => b[1].first - a[1].first)
    .map(([kind, t]) => [kind, t.first, t.hits, pct(t.hits / t.first)]);
  return table(['kind of first cause', 'cases', 'right', 'precision'], rows);
}

function shapleyiq(r: ShapleyIqResult): string {
  return [
    `## ShapleyIQ TrainTicket — trace-level root cause (service)`,
    `Seed ${r.seed}${r.sample ? `, sample ${r.sample}` : ''}. ${r.counts.cases} cases (${r.counts.traceModeCases} trace-mode, ${r.counts.operationModeCases} operation-mode), ${r.counts.traces} traces, trained on ${r.counts.trainTraces} traces outside every case's abnormal/target set (two cross-fitted folds).`,
    table(
      ['method', 'top-1', 'top-3', 'top-5', 'mean rank', 'cases'],
      [
        rankingRow('Tracehound, all cases', r.rca.all),
        rankingRow('Tracehound, trace-mode cases', r.rca.traceMode),
        rankingRow('Tracehound, operation-mode cases', r.rca.operationMode),
        ...r.published.map((p) => [p.method, pct(p.top1), '—', '—', '—', '—']),
      ],
    ),
    `### First suggestion by cause kind (trace-mode cases)`,
    kindsTable(r.firstKinds),
    `### Detection: target traces vs upstream's normal traces (out of sample)`,
    detectionTable(
      r.detection,
      "Upstream's normal/abnormal split is by duration, so this measures how well the score tracks slowness.",
    ),
    `### Cost`,
    costTable(r.cost),
  ].join('\n\n');
}

function nezha(r: NezhaResult): string {
  const row = (name: string, s: RankingSummary) => [
    name,
    pct(s.top[1]),
    pct(s.top[3]),
    pct(s.top[5]),
    s.cases,
  ];
  const e = r.endToEnd.summary;
  const e2eRow = (name: string, s: EndToEndSummary) => [
    name,
    `${s.own}/${s.faults}`,
    `${s.ownFirst}/${s.faults}`,
    pct(s.asK[1]),
    pct(s.asK[3]),
    pct(s.asK[5]),
  ];
  return [
    `## Nezha ${r.system} — incident-level root cause (service, AS@k)`,
    `Seed ${r.seed}${r.sample ? `, sample ${r.sample}` : ''}. ${r.counts.faults} faults (${r.counts.faultsWithoutTraces} with no trace in their window), ${r.counts.traces} traces; trained on ${r.counts.trainTraces} fault-free traces, ${r.counts.heldOutNormal} held out.`,
    `### End to end: what \`tracehound incidents\` reports`,
    `Every trace of both days replayed in time order through the command's incident path; nothing is handed to the ranker. A fault counts at AS@k when an incident overlapping it names its service in the first k causes; a missed fault misses at every k. ${e.incidents} incidents, ${e.falseIncidents} of them away from every fault window (±1 min); median time to open ${e.medianOpenS === null ? '—' : `${e.medianOpenS.toFixed(0)} s`}.`,
    table(
      ['fault type', 'own incident', 'own, cause first', 'AS@1', 'AS@3', 'AS@5'],
      [e2eRow('all', e), ...Object.entries(r.endToEnd.byType).map(([t, s]) => e2eRow(t, s))],
    ),
    `### Window given: each fault's window ranked (no user has this window; for comparison with the paper)`,
    table(
      ['method', 'AS@1', 'AS@3', 'AS@5', 'faults'],
      [
        row('Tracehound, all faults (no traces = miss)', r.rankingAllFaults),
        row('Tracehound, faults with traces', r.ranking),
        ...r.published.map((p) => [p.method, pct(p.as1), pct(p.as3), pct(p.as5), '—']),
      ],
    ),
    `### Window given, by fault type`,
    table(
      ['fault type', 'AS@1', 'AS@3', 'AS@5', 'faults'],
      Object.entries(r.byType).map(([t, s]) => row(t, s)),
    ),
    `### False incidents`,
    r.quiet
      ? `False incidents in the fault-free hours after the last fault: a model trained on fault-free traffic before a split point, then ${r.quiet.traces} unseen traces (${r.quiet.hours.toFixed(1)} h at full rate) replayed: ${r.quiet.incidents} incidents (${r.quiet.perTwoHours.toFixed(2)} per two hours; target at most 1).`
      : 'No fault-free stretch of two hours or more in this data set (or a sampled run): false incidents not measured here.',
    `### Time to detect`,
    `${r.timeToDetect.detected} of ${r.faults.length} windows had a flagged trace; median time from injection to the first flagged trace ${r.timeToDetect.medianS === null ? '—' : `${r.timeToDetect.medianS.toFixed(1)} s`}.`,
    `### Detection: traces in fault windows vs held-out fault-free traces`,
    detectionTable(
      r.detection,
      'A noisy label: many traces inside a fault window never touch the faulty service, so these figures understate the detector.',
    ),
    `### Per fault`,
    table(
      ['fault', 'type', 'true service', 'traces', 'flagged', 'rank', 'ttd s', 'our top 3'],
      r.faults.map((f) => [
        f.faultId,
        f.type,
        f.service,
        f.traces,
        f.flagged,
        f.rank,
        f.timeToDetectS === null ? '—' : f.timeToDetectS.toFixed(0),
        f.top5.slice(0, 3).join(', '),
      ]),
    ),
    `### Cost`,
    costTable(r.cost),
  ].join('\n\n');
}

function traceanomaly(r: TraceAnomalyResult): string {
  return [
    `## TraceAnomaly vectors — detector level`,
    `Seed ${r.seed}${r.sample ? `, sample ${r.sample}` : ''}. ${r.counts.normal} normal + ${r.counts.abnormal} abnormal vectors of ${r.counts.columns} columns; train ${r.counts.train} normal, test ${r.counts.test}.`,
    table(
      ['detector', 'ROC-AUC', 'PR-AUC', 'best F1', 'train s', 'score s'],
      r.detectors.map((d) => [
        d.detector,
        num(d.rocAuc, 4),
        num(d.prAuc, 4),
        num(d.bestF1.f1),
        num(d.trainSeconds, 2),
        num(d.scoreSeconds, 2),
      ]),
    ),
    `Published: ${r.published.map((p) => `${p.method}: ${p.figure}`).join('; ')}.`,
    `### Cost`,
    costTable(r.cost, 'rows'),
  ].join('\n\n');
}

export function simTable(results: SimResult[]): string {
  return table(
    [
      'scenario',
      'ROC-AUC',
      'PR-AUC',
      'best F1',
      'F1 at thr.',
      'svc top-1',
      'svc top-3',
      'op top-1',
      'op top-3',
      'anomalous',
      'traces',
      'incident',
      'cause 1st',
      'false inc.',
    ],
    results.map((r) => [
      r.scenario,
      num(r.detection?.rocAuc, 4),
      num(r.detection?.prAuc, 4),
      num(r.detection?.bestF1.f1),
      num(r.detection?.f1AtThreshold.f1),
      pct(r.rca.service.cases ? r.rca.service.top[1] : undefined),
      pct(r.rca.service.cases ? r.rca.service.top[3] : undefined),
      pct(r.rca.operation.cases ? r.rca.operation.top[1] : undefined),
      pct(r.rca.operation.cases ? r.rca.operation.top[3] : undefined),
      r.counts.anomalous,
      r.counts.traces,
      r.incidents ? `${r.incidents.faultsFound}/${r.incidents.faults}` : '—',
      r.incidents ? `${r.incidents.rootCauseFirst}/${r.incidents.faults}` : '—',
      r.incidents ? r.incidents.falseIncidents : '—',
    ]),
  );
}

function sim(r: SimResult): string {
  return [
    `## Simulated: ${r.scenario}`,
    `Seed ${r.seed}${r.sample ? `, sample ${r.sample}` : ''}; trained on ${r.counts.trainTraces} traces of ${r.system}-normal (seed ${r.seed + 1}). Targets: ROC-AUC >= ${r.targets.rocAuc}, service top-1 >= ${r.targets.serviceTop1}.`,
    simTable([r]),
    detectionTable(r.detection),
    kindsTable(r.firstKinds),
    costTable(r.cost),
  ].join('\n\n');
}

export function markdownFor(r: SuiteResult): string {
  switch (r.suite) {
    case 'shapleyiq-trainticket':
      return shapleyiq(r as ShapleyIqResult);
    case 'traceanomaly':
      return traceanomaly(r as TraceAnomalyResult);
    case 'sampling':
      return samplingMarkdown(r as SamplingResult);
  }
  if (r.suite.startsWith('nezha-')) return nezha(r as NezhaResult);
  return sim(r as SimResult);
}

/** One line for the notebooks README. */
export function headline(r: SuiteResult): string {
  if (r.suite === 'sampling') return samplingHeadline(r as SamplingResult);
  if (r.suite === 'shapleyiq-trainticket') {
    const s = r as ShapleyIqResult;
    return `top-1 ${pct(s.rca.all.top[1])}, top-3 ${pct(s.rca.all.top[3])} (paper 97.3% top-1); ROC-AUC ${num(s.detection?.rocAuc)}`;
  }
  if (r.suite.startsWith('nezha-')) {
    const n = r as NezhaResult;
    const p = n.published[0];
    const e = n.endToEnd.summary;
    const a = n.rankingAllFaults.top;
    return `end to end AS@1 ${pct(e.asK[1])}, own incident ${e.own}/${e.faults}, ${e.falseIncidents} false; window given AS@1/3/5 ${pct(a[1])} / ${pct(a[3])} / ${pct(a[5])} (Nezha ${pct(p.as1)} / ${pct(p.as3)} / ${pct(p.as5)})`;
  }
  if (r.suite === 'traceanomaly')
    return (r as TraceAnomalyResult).detectors
      .map((d) => `${d.detector} ROC-AUC ${num(d.rocAuc)}`)
      .join('; ');
  const s = r as SimResult;
  return `ROC-AUC ${num(s.detection?.rocAuc)}, service top-1 ${pct(s.rca.service.top[1])}`;
}
