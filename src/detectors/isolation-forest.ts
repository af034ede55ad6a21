import { assertFinite, type Matrix, type RowsInput, toMatrix } from './matrix.js';
import { Prng } from './prng.js';

/**
 * Isolation Forest (Liu, Ting and Zhou, 2008): anomalies are few and different, so random
 * axis-parallel splits isolate them in fewer steps than normal points. The score is
 * s = 2^(-E[h(x)] / c(psi)), near 1 for anomalies and at most ~0.5 for normal points.
 *
 * All trees live in one set of flat typed arrays (node ids are global), built and walked with
 * explicit loops so neither deep trees nor large forests touch the call stack.
 */

const EULER_GAMMA = 0.5772156649;

/** Average path length of an unsuccessful BST search among n points: the normaliser c(n). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

export interface IsolationForestOptions {
  /** Number of trees (default 100). */
  trees?: number;
  /** Rows drawn without replacement per tree (default 256, capped at the row count). */
  sampleSize?: number;
  /** Depth limit (default ceil(log2(sampleSize))). */
  maxDepth?: number;
  /** PRNG seed; the same seed and data give the same forest (default 1). */
  seed?: number;
}

export interface IsolationForestJSON {
  kind: 'isolation-forest';
  version: 1;
  numFeatures: number;
  sampleSize: number;
  maxDepth: number;
  seed: number;
  /** Root node id of each tree. */
  roots: number[];
  /** Split feature per node, -1 at a leaf. */
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  /** Training rows that reached each leaf (0 at inner nodes). */
  size: number[];
}

const LEAF = -1;

export class IsolationForest {
  private constructor(
    readonly numFeatures: number,
    readonly sampleSize: number,
    readonly maxDepth: number,
    readonly seed: number,
    private readonly roots: Int32Array,
    private readonly feature: Int32Array,
    private readonly threshold: Float64Array,
    private readonly left: Int32Array,
    private readonly right: Int32Array,
    private readonly size: Int32Array,
  ) {}

  /**
   * c(size) of each leaf, what a walk adds when it stops there: computed once, not per row and tree (the
   * logarithm was a third of scoring a row). The same function of the same numbers, so the same scores.
   */
  private leafExtra?: Float64Array;

  private leafExtras(): Float64Array {
    if (this.leafExtra === undefined) {
      const { feature, size } = this;
      const extra = new Float64Array(feature.length);
      for (let i = 0; i < feature.length; i++) if (feature[i] === LEAF) extra[i] = averagePathLength(size[i]);
      this.leafExtra = extra;
    }
    return this.leafExtra;
  }

  get trees(): number {
    return this.roots.length;
  }

  get nodeCount(): number {
    return this.feature.length;
  }

  static fit(input: RowsInput, options: IsolationForestOptions = {}): IsolationForest {
    const m = toMatrix(input);
    if (m.rows === 0 || m.cols === 0)
      throw new Error('IsolationForest.fit: need at least one row and one column');
    assertFinite(m, 'IsolationForest.fit');
    const trees = options.trees ?? 100;
    if (!Number.isInteger(trees) || trees < 1)
      throw new Error(`IsolationForest.fit: trees must be >= 1, got ${trees}`);
    const requested = options.sampleSize ?? 256;
    if (!Number.isInteger(requested) || requested < 1) {
      throw new Error(`IsolationForest.fit: sampleSize must be a positive integer, got ${requested}`);
    }
    const psi = Math.min(requested, m.rows);
    const maxDepth = options.maxDepth ?? Math.max(1, Math.ceil(Math.log2(psi)));
    const seed = options.seed ?? 1;
    const rng = new Prng(seed);

    // A binary tree over psi points has at most 2*psi - 1 nodes.
    const capacity = trees * (2 * psi - 1);
    const feature = new Int32Array(capacity);
    const threshold = new Float64Array(capacity);
    const left = new Int32Array(capacity);
    const right = new Int32Array(capacity);
    const size = new Int32Array(capacity);
    const roots = new Int32Array(trees);

    const all = new Int32Array(m.rows);
    const sample = new Int32Array(psi);
    const features = Int32Array.from({ length: m.cols }, (_, i) => i);
    // Stack entries: node id, start, end (into `sample`), depth.
    const stack = new Int32Array(4 * (maxDepth + 2) * 2);
    let nodes = 0;

    for (let t = 0; t < trees; t++) {
      drawSample(all, sample, rng);
      const root = nodes++;
      roots[t] = root;
      let sp = 0;
      stack[sp++] = root;
      stack[sp++] = 0;
      stack[sp++] = psi;
      stack[sp++] = 0;
      while (sp > 0) {
        const depth = stack[--sp];
        const end = stack[--sp];
        const start = stack[--sp];
        const node = stack[--sp];
        const n = end - start;
        const split = n > 1 && depth < maxDepth ? chooseSplit(m, sample, start, end, features, rng) : null;
        if (split === null) {
          feature[node] = LEAF;
          size[node] = n;
          left[node] = -1;
          right[node] = -1;
          continue;
        }
        const mid = partition(m, sample, start, end, split.feature, split.threshold);
        const l = nodes++;
        const r = nodes++;
        feature[node] = split.feature;
        threshold[node] = split.threshold;
        left[node] = l;
        right[node] = r;
        stack[sp++] = r;
        stack[sp++] = mid;
        stack[sp++] = end;
        stack[sp++] = depth + 1;
        stack[sp++] = l;
        stack[sp++] = start;
        stack[sp++] = mid;
        stack[sp++] = depth + 1;
      }
    }
    return new IsolationForest(
      m.cols,
      psi,
      maxDepth,
      seed,
      roots,
      feature.slice(0, nodes),
      threshold.slice(0, nodes),
      left.slice(0, nodes),
      right.slice(0, nodes),
      size.slice(0, nodes),
    );
  }

  /** Mean path length of one row over all trees, leaf-size adjusted. NaN goes right (x < t is false). */
  pathLength(row: ArrayLike<number>, offset = 0): number {
    const { roots, feature, threshold, left, right } = this;
    const extra = this.leafExtras();
    let total = 0;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t];
      let depth = 0;
      let f = feature[node];
      while (f !== LEAF) {
        node = row[offset + f] < threshold[node] ? left[node] : right[node];
        f = feature[node];
        depth++;
      }
      total += depth + extra[node];
    }
    return total / roots.length;
  }

  score(row: ArrayLike<number>): number {
    if (row.length !== this.numFeatures) {
      throw new Error(
        `IsolationForest.score: row has ${row.length} values, the model expects ${this.numFeatures}`,
      );
    }
    return this.scoreFromPath(this.pathLength(row));
  }

  scoreMany(input: RowsInput): Float64Array {
    const m: Matrix = toMatrix(input, this.numFeatures);
    if (m.cols !== this.numFeatures) {
      throw new Error(
        `IsolationForest.scoreMany: rows have ${m.cols} values, the model expects ${this.numFeatures}`,
      );
    }
    const out = new Float64Array(m.rows);
    for (let r = 0; r < m.rows; r++) out[r] = this.scoreFromPath(this.pathLength(m.data, r * m.cols));
    return out;
  }

  private scoreFromPath(h: number): number {
    const c = averagePathLength(this.sampleSize);
    // With a single training row there is nothing to normalise by; every row is equally (un)usual.
    return c === 0 ? 0.5 : Math.pow(2, -h / c);
  }

  toJSON(): IsolationForestJSON {
    return {
      kind: 'isolation-forest',
      version: 1,
      numFeatures: this.numFeatures,
      sampleSize: this.sampleSize,
      maxDepth: this.maxDepth,
      seed: this.seed,
      roots: Array.from(this.roots),
      feature: Array.from(this.feature),
      threshold: Array.from(this.threshold),
      left: Array.from(this.left),
      right: Array.from(this.right),
      size: Array.from(this.size),
    };
  }

  /** Rebuilds a forest from `toJSON()` output, rejecting anything that could mis-score or loop. */
  static fromJSON(obj: unknown): IsolationForest {
    const o = validateForestJSON(obj);
    return new IsolationForest(
      o.numFeatures,
      o.sampleSize,
      o.maxDepth,
      o.seed,
      Int32Array.from(o.roots),
      Int32Array.from(o.feature),
      Float64Array.from(o.threshold),
      Int32Array.from(o.left),
      Int32Array.from(o.right),
      Int32Array.from(o.size),
    );
  }
}

/** Partial Fisher-Yates: the first psi entries of a fresh permutation, i.e. a sample without replacement. */
function drawSample(all: Int32Array, sample: Int32Array, rng: Prng): void {
  for (let i = 0; i < all.length; i++) all[i] = i;
  for (let i = 0; i < sample.length; i++) {
    const j = i + rng.intBelow(all.length - i);
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
    sample[i] = all[i];
  }
}

/**
 * Picks a feature uniformly among those with spread at this node (walking a lazy random
 * permutation until one is not constant), then a threshold uniform in [min, max).
 * Returns null when every feature is constant: the node cannot be split.
 */
function chooseSplit(
  m: Matrix,
  sample: Int32Array,
  start: number,
  end: number,
  features: Int32Array,
  rng: Prng,
): { feature: number; threshold: number } | null {
  const { data, cols } = m;
  // `features` holds a permutation left over from earlier nodes; a Fisher-Yates pass from any
  // starting order is still uniform, so it needs no reset.
  for (let k = 0; k < cols; k++) {
    const j = k + rng.intBelow(cols - k);
    const f = features[j];
    features[j] = features[k];
    features[k] = f;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = start; i < end; i++) {
      const v = data[sample[i] * cols + f];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi > lo) {
      let t = lo + rng.next() * (hi - lo);
      // Rounding can land exactly on lo (empty left side); any value in (lo, hi] still splits.
      if (!(t > lo)) t = lo + (hi - lo) / 2;
      if (!(t > lo)) t = hi;
      return { feature: f, threshold: t };
    }
  }
  return null;
}

/** Reorders sample[start:end] so rows with x[f] < t come first; returns the boundary. */
function partition(m: Matrix, sample: Int32Array, start: number, end: number, f: number, t: number): number {
  const { data, cols } = m;
  let i = start;
  let j = end - 1;
  while (i <= j) {
    if (data[sample[i] * cols + f] < t) {
      i++;
    } else {
      const tmp = sample[i];
      sample[i] = sample[j];
      sample[j] = tmp;
      j--;
    }
  }
  return i;
}

function fail(msg: string): never {
  throw new Error(`IsolationForest.fromJSON: ${msg}`);
}

/** Arrays arrive as JSON lists, or typed when read from a binary file (registry/forest-files.ts). */
function intArray(o: Record<string, unknown>, key: string, len?: number): number[] {
  const a = o[key];
  if (a instanceof Int32Array) {
    if (len !== undefined && a.length !== len)
      fail(`"${key}" has ${a.length} entries, expected ${len} (one per node)`);
    return a as unknown as number[];
  }
  if (!Array.isArray(a)) fail(`"${key}" must be an array of numbers, got ${a === null ? 'null' : typeof a}`);
  if (len !== undefined && a.length !== len)
    fail(`"${key}" has ${a.length} entries, expected ${len} (one per node)`);
  for (let i = 0; i < a.length; i++) {
    if (!Number.isInteger(a[i])) fail(`${key}[${i}] must be an integer, got ${JSON.stringify(a[i])}`);
  }
  return a as number[];
}

function positiveInt(o: Record<string, unknown>, key: string): number {
  const v = o[key];
  if (!Number.isInteger(v) || (v as number) < 1)
    fail(`"${key}" must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

function validateForestJSON(obj: unknown): IsolationForestJSON {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) fail('expected an object');
  const o = obj as Record<string, unknown>;
  if (o.kind !== 'isolation-forest') fail(`"kind" must be "isolation-forest", got ${JSON.stringify(o.kind)}`);
  if (o.version !== 1) fail(`unsupported version ${JSON.stringify(o.version)} (this build reads version 1)`);
  const numFeatures = positiveInt(o, 'numFeatures');
  const sampleSize = positiveInt(o, 'sampleSize');
  const maxDepth = positiveInt(o, 'maxDepth');
  if (typeof o.seed !== 'number' || !Number.isFinite(o.seed)) fail(`"seed" must be a number`);
  const feature = intArray(o, 'feature');
  const n = feature.length;
  if (n === 0) fail('"feature" is empty: a forest needs at least one node');
  const left = intArray(o, 'left', n);
  const right = intArray(o, 'right', n);
  const size = intArray(o, 'size', n);
  const roots = intArray(o, 'roots');
  if (roots.length === 0) fail('"roots" is empty: a forest needs at least one tree');
  const threshold = o.threshold;
  if (!Array.isArray(threshold) && !(threshold instanceof Float64Array))
    fail('"threshold" must be an array of numbers');
  if (threshold.length !== n)
    fail(`"threshold" has ${threshold.length} entries, expected ${n} (one per node)`);
  for (let i = 0; i < n; i++) {
    const f = feature[i];
    if (f === LEAF) {
      if (size[i] < 0 || size[i] > sampleSize) fail(`size[${i}] = ${size[i]} is outside 0..${sampleSize}`);
      continue;
    }
    if (f < 0 || f >= numFeatures) fail(`feature[${i}] = ${f} is outside 0..${numFeatures - 1}`);
    if (typeof threshold[i] !== 'number' || !Number.isFinite(threshold[i])) {
      fail(`threshold[${i}] must be a finite number, got ${JSON.stringify(threshold[i])}`);
    }
    // Children after their parent rules out cycles, so scoring always terminates.
    if (left[i] <= i || left[i] >= n) fail(`left[${i}] = ${left[i]} must point to a later node (< ${n})`);
    if (right[i] <= i || right[i] >= n) fail(`right[${i}] = ${right[i]} must point to a later node (< ${n})`);
  }
  for (let t = 0; t < roots.length; t++) {
    if (roots[t] < 0 || roots[t] >= n) fail(`roots[${t}] = ${roots[t]} is outside 0..${n - 1}`);
  }
  return {
    kind: 'isolation-forest',
    version: 1,
    numFeatures,
    sampleSize,
    maxDepth,
    seed: o.seed as number,
    roots,
    feature,
    threshold: threshold as number[],
    left,
    right,
    size,
  };
}
