/** The held-out run as markdown (notebooks/heldout.md and stdout), and its files under notebooks/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { table } from '../../../src/eval/markdown.js';
import { TRUTH_RULE } from '../generate.js';
import { FAULT_KINDS } from '../faults.js';
import type { HeldoutResult, KindFigures } from './metrics.js';

const pct = (v: number | null | undefined) =>
  v === null || v === undefined || Number.isNaN(v) ? '—' : `${(100 * v).toFixed(1)}%`;
const num = (v: number | null | undefined, d = 3) =>
  v === null || v === undefined || Number.isNaN(v) ? '—' : v.toFixed(d);

function kindRow(k: KindFigures): (string | number)[] {
  return [
    k.kind,
    k.positives,
    num(k.rocAuc),
    num(k.prAuc),
    pct(k.flagged),
    pct(k.tiedAtTop),
    pct(k.top1),
    pct(k.top3),
    num(k.zscoreRocAuc),
    pct(k.zscoreTop1),
    `${k.ownIncident}/${k.windows}`,
    `${k.rootCauseFirst}/${k.windows}`,
    k.medianOpenedAfterS === null ? '—' : `${Math.round(k.medianOpenedAfterS)} s`,
  ];
}

export function heldoutMarkdown(r: HeldoutResult): string {
  const o = r.overall;
  const inc = r.incidents;
  const own = inc.faults.filter((f) => f.own).length;
  const first = inc.faults.filter((f) => f.rootCauseFirst).length;
  const allRow: KindFigures = {
    kind: '**all faults**',
    windows: inc.faults.length,
    ownIncident: own,
    rootCauseFirst: first,
    medianOpenedAfterS: null,
    ...o,
  };
  const faults = inc.faults.map((f) => [
    f.faultId,
    f.group,
    f.rootCause.join(', '),
    f.own ? `${f.incidents}` : f.foldedInto.length ? `folded into ${f.foldedInto.join(', ')}` : 'none',
    f.firstCauses.join(', ') || '—',
    f.rootCauseFirst ? 'yes' : 'no',
    f.openedAfterS === null ? '—' : `${Math.round(f.openedAfterS)} s`,
  ]);
  return [
    `## Held-out system (ride-hailing, testbed/heldout-sim), seed ${r.seed}`,
    '',
    `Trained on ${r.counts.trainTraces} fault-free traces (${r.counts.trainMinutes} min); tested on ${r.counts.testTraces} traces (${r.counts.testMinutes} min, ${r.counts.faulty} changed by a fault, ${r.faults.length} fault windows); ${r.counts.skipped} records skipped reading OTLP JSON back. Targets of issue 13: ROC-AUC >= 0.90, root-cause top-1 >= 0.85 with explain-all, <= 5% of flagged traces tied at the top score; every fault its own incident with the root cause first, no false incidents.`,
    '',
    '### Per trace (explain-all) and end to end, per fault kind',
    '',
    table(
      [
        'fault kind',
        'faulty traces',
        'ROC-AUC',
        'PR-AUC',
        'flagged',
        'at top score',
        'top-1',
        'top-3',
        'z-score ROC-AUC',
        'z-score top-1',
        'own incident',
        'cause first',
        'time to open',
      ],
      [...r.byKind.map(kindRow), kindRow(allRow)],
    ),
    '',
    `ROC-AUC and PR-AUC: the kind's faulty traces against every fault-free test trace. Flagged: share flagged at the model's own threshold; fault-free traces flagged: ${pct(r.falsePositiveRate)} (target 1%). At top score: share of those flagged that share the top score of all flagged traces. Top-1/3: the right service among the first 1/3 of the trace's causes, over all faulty traces (${o.noCause} had no cause at all). Z-score: the issue's yardstick, a robust z-score of self time per call path (eval/zscore-baseline.ts). Time to open: from the fault's start to the end of the first minute of its incident (offline, without the service's incident delay).`,
    '',
    `Ties: ${r.ties.atTopScore} of ${r.ties.flagged} flagged traces (${pct(r.ties.shareAtTop)}) share the top score ${num(r.ties.topScore, 6)}; ${pct(r.ties.shareTied)} share their score with another flagged trace.`,
    '',
    '### Incidents, per fault',
    '',
    table(['fault', 'scheduled', 'root cause', 'incidents', 'first cause', 'right', 'time to open'], faults),
    '',
    `${inc.incidents} incidents in all; ${inc.falseIncidents} false (opened outside every fault, widened by a minute before and 2 after) over ${num(inc.faultFreeHours, 2)} fault-free hours (${num(inc.falsePerFaultFreeHour, 2)} per hour). An incident belongs to the fault its first cause names among those it overlaps, else to the latest fault it opened during; a fault without one of its own was folded into another's or missed.`,
    '',
    ...(inc.falseList.length
      ? [
          table(
            ['false incident', 'until', 'first cause', 'traces', 'strongest signals'],
            inc.falseList.map((f) => [
              f.start.slice(11, 19),
              f.end.slice(11, 19),
              f.firstCause ?? '—',
              f.traceCount,
              f.signals.join('; '),
            ]),
          ),
          '',
        ]
      : []),
    `Wall time ${Math.round(r.seconds.total)} s, ${Math.round(r.seconds.cpu)} s of CPU (training ${Math.round(r.seconds.train)} s, scoring with explain-all ${Math.round(r.seconds.scoreExplainAll)} s).`,
    '',
    '### The faults',
    '',
    ...FAULT_KINDS.map((k) => `- **${k.name}** (root cause ${k.rootCause.join(' or ')}): ${k.description}.`),
    '',
    `**Truth.** ${TRUTH_RULE}`,
  ].join('\n');
}

/** Writes notebooks/results/heldout.json and notebooks/heldout.md. */
export function writeHeldout(dir: string, r: HeldoutResult): string {
  mkdirSync(join(dir, 'results'), { recursive: true });
  writeFileSync(join(dir, 'results', 'heldout.json'), JSON.stringify(r) + '\n');
  const md = heldoutMarkdown(r);
  writeFileSync(
    join(dir, 'heldout.md'),
    `# Held-out simulated system\n\nRegenerate with \`npm run eval -- heldout [--seed N]\`.\n\n${md}\n`,
  );
  return md;
}
