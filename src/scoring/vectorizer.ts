import type { TraceProfile } from '../features/profile.js';
import { scalarFeatures, SCALAR_FEATURE_NAMES } from '../features/catalogue.js';

/**
 * A profile, or what training keeps of one: its call paths and its scalar features already computed (the
 * scalars read parts of the profile that training does not otherwise keep).
 */
export type VectorInput = TraceProfile | (Pick<TraceProfile, 'callPaths'> & { scalarFeatures: Float64Array });

export interface PathVectorizerJson {
  paths: string[];
}

/**
 * An endpoint's trace as a fixed-length vector, the "service trace vector" of TraceAnomaly: one column per
 * call path seen in training (its total duration in that trace, 0 when absent) followed by the scalar
 * features. The forest and the autoencoder read these; the autoencoder log-scales them itself.
 */
export class PathVectorizer {
  private readonly index: Map<string, number>;

  constructor(readonly paths: string[]) {
    this.index = new Map(paths.map((p, i) => [p, i]));
  }

  /** The most frequent call paths of the training profiles, at most `maxPaths`. */
  static fit(profiles: Iterable<Pick<TraceProfile, 'callPaths'>>, maxPaths = 96): PathVectorizer {
    const freq = new Map<string, number>();
    for (const p of profiles) for (const c of p.callPaths) freq.set(c.key, (freq.get(c.key) ?? 0) + 1);
    const paths = [...freq.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, maxPaths)
      .map(([k]) => k);
    return new PathVectorizer(paths);
  }

  get width(): number {
    return this.paths.length + SCALAR_FEATURE_NAMES.length;
  }

  columnName(i: number): string {
    return i < this.paths.length ? this.paths[i] : SCALAR_FEATURE_NAMES[i - this.paths.length];
  }

  vector(p: VectorInput): Float64Array {
    const out = new Float64Array(this.width);
    for (const c of p.callPaths) {
      const i = this.index.get(c.key);
      if (i !== undefined) out[i] += c.totalDurationUs;
    }
    out.set('scalarFeatures' in p ? p.scalarFeatures : scalarFeatures(p), this.paths.length);
    return out;
  }

  toJSON(): PathVectorizerJson {
    return { paths: this.paths };
  }

  static fromJSON(j: PathVectorizerJson): PathVectorizer {
    if (!j || !Array.isArray(j.paths) || j.paths.some((p) => typeof p !== 'string'))
      throw new Error('path vectorizer: "paths" must be an array of strings');
    return new PathVectorizer(j.paths);
  }
}
