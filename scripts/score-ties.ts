/**
 * How well scores rank: per simulated scenario, the share of flagged traces tied at the top value, by the
 * calibrated `score` and by the ranking order, with ROC-AUC and a digest of the anomalous flags (the threshold
 * decision, which a ranking change must leave alone).
 *
 *   npx tsx scripts/score-ties.ts [--sample N] [--seed S] scenario...
 */
import { createHash } from 'node:crypto';
import { generate, getScenario } from '../src/sim/index.js';
import { normalModel, disposeSimModels } from '../src/eval/suites/sim.js';
import { sampleOf } from '../src/eval/common.js';
import { normalizeTrace } from '../src/trace/normalize.js';
import { rocAuc } from '../src/detectors/metrics.js';
import { byRank } from '../src/scoring/rank.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** Share of items equal to the largest under `same`: 1/n when the top is unique. */
function tiedAtTop<T>(items: T[], cmp: (a: T, b: T) => number): number {
  if (items.length === 0) return 0;
  const sorted = [...items].sort((a, b) => cmp(b, a));
  let n = 1;
  while (n < sorted.length && cmp(sorted[n], sorted[0]) === 0) n++;
  return n / items.length;
}

/** Share of items that share their value with another item: how much of the list does not rank at all. */
function tiedAnywhere<T>(items: T[], cmp: (a: T, b: T) => number): number {
  const sorted = [...items].sort(cmp);
  let tied = 0;
  for (let i = 0; i < sorted.length; i++)
    if (
      (i > 0 && cmp(sorted[i], sorted[i - 1]) === 0) ||
      (i + 1 < sorted.length && cmp(sorted[i], sorted[i + 1]) === 0)
    )
      tied++;
  return items.length === 0 ? 0 : tied / items.length;
}

const sample = arg('--sample') === undefined ? undefined : Number(arg('--sample'));
const seed = Number(arg('--seed') ?? 1);
const names = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
for (const name of names) {
  const sc = getScenario(name);
  const { model } = await normalModel(sc, seed, sample, () => {});
  const gen = generate(sc, { seed });
  const keep = sampleOf(Array.from(gen.traces.keys()), sample === undefined ? undefined : sample * 10, seed);
  const traces = keep.map((i) => normalizeTrace(gen.traces[i][0].traceId, gen.traces[i]));
  const labels = keep.map((i) => gen.truth.traces[i].anomalous);
  const scored = model.score(traces);
  const flagged = scored.filter((s) => s.anomalous);
  const flags = createHash('sha256')
    .update(scored.map((s) => (s.anomalous ? '1' : '0')).join(''))
    .digest('hex')
    .slice(0, 12);
  const byScore = tiedAtTop(flagged, (a, b) => a.score - b.score);
  const rank = tiedAtTop(flagged, (a, b) => byRank(b, a));
  const bySurprise = tiedAtTop(flagged, (a, b) => (a.surprise ?? 0) - (b.surprise ?? 0));
  const saturated = flagged.filter((s) => s.score === 1).length;
  process.stdout.write(
    `${name}: ${traces.length} traces, ${flagged.length} flagged (flags ${flags}); ROC-AUC ${rocAuc(
      scored.map((s) => s.score),
      labels,
    ).toFixed(4)}, by surprise ${rocAuc(
      scored.map((s) => s.surprise ?? 0),
      labels,
    ).toFixed(4)}; score 1.0 in ${((100 * saturated) / flagged.length).toFixed(1)}% of flagged; ` +
      `tied at the top: by score ${(100 * byScore).toFixed(1)}%, by surprise ${(100 * bySurprise).toFixed(1)}%, ` +
      `by rank ${(100 * rank).toFixed(1)}%; in a tie anywhere: by score ${(
        100 * tiedAnywhere(flagged, (a, b) => a.score - b.score)
      ).toFixed(1)}%, by rank ${(100 * tiedAnywhere(flagged, (a, b) => byRank(b, a))).toFixed(1)}%\n`,
  );
}
disposeSimModels();
