import { endianness } from 'node:os';

/**
 * An isolation forest's node arrays as one binary file beside endpoints.json, which keeps only the forest's
 * few scalars and the file's name. As JSON the arrays were nearly all of a model set's 4 MB; parsing them
 * (every threshold a 17-digit decimal) and the garbage it left were a fifth of `score`'s start-up.
 *
 * Layout, little-endian: threshold (float64 per node), then int32 arrays roots (per tree), feature, left,
 * right, size (per node). The arrays come back in the shape IsolationForest.fromJSON takes, which checks
 * them as it checks JSON (node references, features, sizes), so a damaged file is refused, not scored.
 */

/** What endpoints.json keeps of a forest whose arrays are in a file. */
export interface ForestFileRef {
  file: string;
  kind: unknown;
  version: unknown;
  numFeatures: unknown;
  sampleSize: unknown;
  maxDepth: unknown;
  seed: unknown;
  trees: number;
  nodes: number;
}

interface ForestArrays {
  roots: ArrayLike<number>;
  feature: ArrayLike<number>;
  threshold: ArrayLike<number>;
  left: ArrayLike<number>;
  right: ArrayLike<number>;
  size: ArrayLike<number>;
}

const INT_ARRAYS = ['feature', 'left', 'right', 'size'] as const;

export function isForestFileRef(v: unknown): v is ForestFileRef {
  return typeof v === 'object' && v !== null && typeof (v as { file?: unknown }).file === 'string';
}

/** The forest's JSON (`IsolationForest.toJSON()`) split into its reference and its bytes. */
export function forestToFile(forest: unknown, file: string): { ref: ForestFileRef; bytes: Buffer } {
  const f = forest as ForestArrays & Omit<ForestFileRef, 'file' | 'trees' | 'nodes'>;
  const trees = f.roots.length;
  const nodes = f.feature.length;
  const bytes = Buffer.alloc(8 * nodes + 4 * (trees + 4 * nodes));
  let at = 0;
  for (let i = 0; i < nodes; i++) at = bytes.writeDoubleLE(f.threshold[i], at);
  for (let i = 0; i < trees; i++) at = bytes.writeInt32LE(f.roots[i], at);
  for (const k of INT_ARRAYS) for (let i = 0; i < nodes; i++) at = bytes.writeInt32LE(f[k][i], at);
  const { kind, version, numFeatures, sampleSize, maxDepth, seed } = f;
  return { ref: { file, kind, version, numFeatures, sampleSize, maxDepth, seed, trees, nodes }, bytes };
}

/** The forest's JSON shape again, its arrays typed; throws when the file's length does not fit the reference. */
export function forestFromFile(ref: ForestFileRef, bytes: Buffer): unknown {
  const { trees, nodes } = ref;
  const want = 8 * nodes + 4 * (trees + 4 * nodes);
  if (!Number.isInteger(trees) || !Number.isInteger(nodes) || trees < 0 || nodes < 0 || bytes.length !== want)
    throw new Error(
      `${ref.file}: ${bytes.length} bytes, expected ${want} for ${trees} trees of ${nodes} nodes`,
    );
  // A copy: the file's buffer may start anywhere in a pooled allocation, and typed views need alignment.
  const own = new Uint8Array(bytes).buffer;
  const le = endianness() === 'LE';
  const view = new DataView(own);
  const f64 = (offset: number, n: number) => {
    if (le) return new Float64Array(own, offset, n);
    return Float64Array.from({ length: n }, (_, i) => view.getFloat64(offset + 8 * i, true));
  };
  const i32 = (offset: number, n: number) => {
    if (le) return new Int32Array(own, offset, n);
    return Int32Array.from({ length: n }, (_, i) => view.getInt32(offset + 4 * i, true));
  };
  let at = 8 * nodes;
  const roots = i32(at, trees);
  at += 4 * trees;
  const [feature, left, right, size] = INT_ARRAYS.map((_, k) => i32(at + 4 * nodes * k, nodes));
  const { kind, version, numFeatures, sampleSize, maxDepth, seed } = ref;
  return {
    kind,
    version,
    numFeatures,
    sampleSize,
    maxDepth,
    seed,
    roots,
    feature,
    threshold: f64(0, nodes),
    left,
    right,
    size,
  };
}
