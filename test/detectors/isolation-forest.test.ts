import { describe, expect, it } from 'vitest';
import { averagePathLength, IsolationForest } from '../../src/detectors/isolation-forest.js';
import { rocAuc } from '../../src/detectors/metrics.js';
import { Prng } from '../../src/detectors/prng.js';
import { gaussianRows } from '../helpers/gaussian.js';

function dataset(seed: number) {
  const rng = new Prng(seed);
  const inliers = gaussianRows(rng, 1500, 6);
  // Outliers sit 6 standard deviations out along two random axes.
  const outliers = gaussianRows(rng, 40, 6).map((row) => {
    row[rng.intBelow(6)] += rng.next() < 0.5 ? -6 : 6;
    row[rng.intBelow(6)] += rng.next() < 0.5 ? -6 : 6;
    return row;
  });
  return { inliers, outliers };
}

describe('averagePathLength c(n)', () => {
  it('matches hand-computed values', () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    // 2 (ln 2 + 0.5772156649) - 2*2/3
    expect(averagePathLength(3)).toBeCloseTo(1.2073923576, 9);
    // 2 (ln 9 + 0.5772156649) - 2*9/10
    expect(averagePathLength(10)).toBeCloseTo(3.7488804845, 9);
    // 2 (ln 255 + 0.5772156649) - 2*255/256
    expect(averagePathLength(256)).toBeCloseTo(10.2447709201, 9);
  });
});

describe('IsolationForest', () => {
  it('ranks clear outliers above inliers', () => {
    const { inliers, outliers } = dataset(7);
    const forest = IsolationForest.fit(inliers, { seed: 3 });
    const test = [...gaussianRows(new Prng(99), 500, 6), ...outliers];
    const labels = test.map((_, i) => (i >= 500 ? 1 : 0));
    const scores = forest.scoreMany(test);
    expect(rocAuc(scores, labels)).toBeGreaterThan(0.95);
    expect(forest.score(outliers[0])).toBeGreaterThan(0.5);
  });

  it('is deterministic under a seed and varies with it', () => {
    const { inliers } = dataset(1);
    const a = IsolationForest.fit(inliers, { seed: 11, trees: 20 });
    const b = IsolationForest.fit(inliers, { seed: 11, trees: 20 });
    const c = IsolationForest.fit(inliers, { seed: 12, trees: 20 });
    expect(a.toJSON()).toEqual(b.toJSON());
    expect(a.toJSON().threshold).not.toEqual(c.toJSON().threshold);
  });

  it('accepts a flat matrix and gives the same forest as row arrays', () => {
    const { inliers } = dataset(2);
    const flat = new Float64Array(inliers.length * 6);
    inliers.forEach((r, i) => flat.set(r, i * 6));
    const a = IsolationForest.fit({ data: flat, rows: inliers.length, cols: 6 }, { trees: 10 });
    const b = IsolationForest.fit(inliers, { trees: 10 });
    expect(a.toJSON()).toEqual(b.toJSON());
  });

  it('subsamples without replacement: distinct rows all end in leaves of size 1', () => {
    const rows = Array.from({ length: 64 }, (_, i) => [i * 1.5]);
    const forest = IsolationForest.fit(rows, { trees: 5, sampleSize: 64, maxDepth: 1000 });
    const json = forest.toJSON();
    const leafSizes = json.size.filter((_, i) => json.feature[i] === -1);
    expect(leafSizes.every((s) => s === 1)).toBe(true);
    expect(leafSizes.length).toBe(5 * 64);
  });

  it('never splits on a constant feature and makes a leaf when all are constant', () => {
    const rng = new Prng(5);
    const rows = Array.from({ length: 300 }, () => [7, rng.next(), 7, -2]);
    const json = IsolationForest.fit(rows, { trees: 10 }).toJSON();
    const used = new Set(json.feature.filter((f) => f !== -1));
    expect([...used]).toEqual([1]);

    const constant = IsolationForest.fit(
      Array.from({ length: 50 }, () => [1, 2]),
      { trees: 4 },
    );
    expect(constant.nodeCount).toBe(4);
    const s = constant.scoreMany([
      [1, 2],
      [100, -100],
    ]);
    expect(s[0]).toBe(s[1]);
  });

  it('builds and scores very deep trees without recursion', () => {
    // Exponentially spaced values make nearly every split peel off the largest point: a chain.
    const rows = Array.from({ length: 1000 }, (_, i) => [Math.pow(2, i)]);
    const forest = IsolationForest.fit(rows, { trees: 2, sampleSize: 1000, maxDepth: 5000 });
    expect(forest.pathLength([1])).toBeGreaterThan(200);
    expect(Number.isFinite(forest.score([1]))).toBe(true);
  });

  it('rejects non-finite training values naming the row and column', () => {
    expect(() =>
      IsolationForest.fit([
        [1, 2],
        [3, NaN],
      ]),
    ).toThrow(/row 1, column 1/);
  });

  it('round-trips through JSON with identical scores', () => {
    const { inliers, outliers } = dataset(3);
    const forest = IsolationForest.fit(inliers, { seed: 9, trees: 30 });
    const copy = IsolationForest.fromJSON(JSON.parse(JSON.stringify(forest.toJSON())));
    const test = [...inliers.slice(0, 200), ...outliers];
    expect(Array.from(copy.scoreMany(test))).toEqual(Array.from(forest.scoreMany(test)));
  });

  it('fromJSON rejects corrupted objects with a clear message', () => {
    const { inliers } = dataset(4);
    const good = IsolationForest.fit(inliers, { trees: 3 }).toJSON();
    const inner = good.feature.findIndex((f) => f !== -1);
    const clone = () => JSON.parse(JSON.stringify(good));

    const cyclic = clone();
    cyclic.left[inner] = 0;
    expect(() => IsolationForest.fromJSON(cyclic)).toThrow(`left[${inner}] = 0 must point to a later node`);

    const badFeature = clone();
    badFeature.feature[inner] = 6;
    expect(() => IsolationForest.fromJSON(badFeature)).toThrow(`feature[${inner}] = 6 is outside 0..5`);

    const short = clone();
    short.threshold.pop();
    expect(() => IsolationForest.fromJSON(short)).toThrow(/"threshold" has \d+ entries, expected \d+/);

    const missing = clone();
    delete missing.right;
    expect(() => IsolationForest.fromJSON(missing)).toThrow('"right" must be an array');

    expect(() => IsolationForest.fromJSON({ ...clone(), kind: 'autoencoder' })).toThrow(
      '"kind" must be "isolation-forest"',
    );
    expect(() => IsolationForest.fromJSON(null)).toThrow('IsolationForest.fromJSON: expected an object');
  });

  it('rejects rows of the wrong width when scoring', () => {
    const forest = IsolationForest.fit(dataset(6).inliers, { trees: 2 });
    expect(() => forest.score([1, 2])).toThrow(/expects 6/);
  });
});
