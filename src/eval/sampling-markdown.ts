/** Tables of the sampling suite. */
import type { Kept, SamplingResult } from './suites/sampling.js';

const systemsOf = (r: SamplingResult) => [...new Set(r.scenarios.map((s) => s.system))].join(', ');
const share = (k: Kept, faulty: number) =>
  faulty > 0 ? `${((100 * k.faulty) / faulty).toFixed(1)}%` : 'n/a';

/** Sums over the scenarios: traces, faulty ones, and each way's kept and faulty kept. */
export function samplingTotals(r: SamplingResult) {
  const sum = (pick: (s: SamplingResult['scenarios'][number]) => Kept): Kept =>
    r.scenarios.reduce((a, s) => ({ kept: a.kept + pick(s).kept, faulty: a.faulty + pick(s).faulty }), {
      kept: 0,
      faulty: 0,
    });
  return {
    traces: r.scenarios.reduce((a, s) => a + s.traces, 0),
    faulty: r.scenarios.reduce((a, s) => a + s.faulty, 0),
    head: sum((s) => s.head),
    headUniform: sum((s) => s.headUniform),
    tail: sum((s) => s.tail),
    tailUniform: sum((s) => s.tailUniform),
    faults: r.scenarios.reduce((a, s) => a + s.faults, 0),
    headFaultsFound: r.scenarios.reduce((a, s) => a + s.headFaultsFound, 0),
  };
}

export function samplingHeadline(r: SamplingResult): string {
  const t = samplingTotals(r);
  return (
    `faulty traces kept: head advice ${share(t.head, t.faulty)} (uniform at its budget ${share(t.headUniform, t.faulty)}), ` +
    `tail policies ${share(t.tail, t.faulty)} (uniform ${share(t.tailUniform, t.faulty)}); ${r.scenarios.length} scenarios of ${systemsOf(r)}`
  );
}

export function samplingMarkdown(r: SamplingResult): string {
  const t = samplingTotals(r);
  const pctKept = (k: Kept, n: number) => `${((100 * k.kept) / n).toFixed(1)}%`;
  const rows = r.scenarios.map(
    (s) =>
      `| ${s.scenario} | ${s.traces} | ${s.faulty} | ${pctKept(s.head, s.traces)} | ${share(s.head, s.faulty)} | ${share(s.headUniform, s.faulty)} | ` +
      `${pctKept(s.tail, s.traces)} | ${share(s.tail, s.faulty)} | ${share(s.tailUniform, s.faulty)} | ${s.headFaultsFound}/${s.faults} |`,
  );
  return [
    `## Sampling advice against uniform sampling (budget ${100 * r.budgetShare}% of normal traffic per service)`,
    '',
    `Faulty traces kept over ${r.scenarios.length} scenarios of ${systemsOf(r)} (${t.traces} traces, ${t.faulty} faulty): head advice ` +
      `${share(t.head, t.faulty)} against ${share(t.headUniform, t.faulty)} for uniform sampling of as many traces; ` +
      `tail policies ${share(t.tail, t.faulty)} against ${share(t.tailUniform, t.faulty)}. Incidents opened from the ` +
      `head-sampled traces alone covered ${t.headFaultsFound} of ${t.faults} faults.`,
    '',
    '| scenario | traces | faulty | head kept | head: faulty kept | uniform | tail kept | tail: faulty kept | uniform | faults found (head) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}
