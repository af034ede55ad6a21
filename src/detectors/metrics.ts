/**
 * Ranking metrics for detector evaluation. Both are exact: ROC-AUC from mid-ranks (tied scores
 * count half), PR-AUC as average precision with tied scores taken as one threshold step.
 */

export type Labels = ArrayLike<boolean | number>;

function checkInputs(scores: ArrayLike<number>, labels: Labels, what: string): { pos: number; neg: number } {
  if (scores.length !== labels.length) {
    throw new Error(`${what}: ${scores.length} scores but ${labels.length} labels`);
  }
  let pos = 0;
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new Error(`${what}: score ${i} is NaN`);
    if (labels[i]) pos++;
  }
  const neg = scores.length - pos;
  if (pos === 0 || neg === 0)
    throw new Error(`${what}: needs both positive and negative labels (got ${pos} / ${neg})`);
  return { pos, neg };
}

function order(scores: ArrayLike<number>): Int32Array {
  const idx = Int32Array.from({ length: scores.length }, (_, i) => i);
  return idx.sort((a, b) => scores[a] - scores[b]);
}

/** Probability that a random positive outscores a random negative (ties count 1/2). Labels: truthy = anomaly. */
export function rocAuc(scores: ArrayLike<number>, labels: Labels): number {
  const { pos, neg } = checkInputs(scores, labels, 'rocAuc');
  const idx = order(scores);
  let rankSum = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    // Ranks i+1..j+1 are tied: each gets their mean.
    const midRank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) if (labels[idx[k]]) rankSum += midRank;
    i = j + 1;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Average precision: sum over thresholds (high to low) of recall gained times precision there. */
export function prAuc(scores: ArrayLike<number>, labels: Labels): number {
  const { pos } = checkInputs(scores, labels, 'prAuc');
  const idx = order(scores);
  let tp = 0;
  let seen = 0;
  let ap = 0;
  let i = idx.length - 1;
  while (i >= 0) {
    let j = i;
    while (j - 1 >= 0 && scores[idx[j - 1]] === scores[idx[i]]) j--;
    let gained = 0;
    for (let k = j; k <= i; k++) if (labels[idx[k]]) gained++;
    tp += gained;
    seen += i - j + 1;
    if (gained > 0) ap += (gained / pos) * (tp / seen);
    i = j - 1;
  }
  return ap;
}
