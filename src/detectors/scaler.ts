import type { Matrix } from './matrix.js';

/**
 * Signed-log1p then standardize, with the training mean/std. Columns that were constant in
 * training are kept apart ("inactive"): there is nothing to learn about them, so a model only
 * sees the active columns, while a later deviation in an inactive column still counts, measured
 * against `stdFloor`.
 */

export interface ScalerJSON {
  kind: 'log-standard-scaler';
  version: 1;
  logScale: boolean;
  mean: number[];
  std: number[];
  /** Columns that varied in training, ascending. */
  active: number[];
}

export function signedLog1p(v: number): number {
  return v >= 0 ? Math.log1p(v) : -Math.log1p(-v);
}

export class LogStandardScaler {
  readonly inactive: Int32Array;

  constructor(
    readonly logScale: boolean,
    readonly mean: Float64Array,
    readonly std: Float64Array,
    readonly active: Int32Array,
  ) {
    const isActive = new Uint8Array(mean.length);
    for (const c of active) isActive[c] = 1;
    this.inactive = Int32Array.from({ length: mean.length }, (_, c) => c).filter((c) => !isActive[c]);
  }

  get dim(): number {
    return this.mean.length;
  }

  static fit(m: Matrix, logScale: boolean, stdFloor: number): LogStandardScaler {
    const { data, rows, cols } = m;
    const mean = new Float64Array(cols);
    const sq = new Float64Array(cols);
    const t = (v: number) => (logScale ? signedLog1p(v) : v);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += t(data[r * cols + c]);
    for (let c = 0; c < cols; c++) mean[c] /= rows;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const e = t(data[r * cols + c]) - mean[c];
        sq[c] += e * e;
      }
    }
    const std = new Float64Array(cols);
    const active: number[] = [];
    for (let c = 0; c < cols; c++) {
      const s = Math.sqrt(sq[c] / rows);
      if (s > 0) active.push(c);
      std[c] = Math.max(s, stdFloor);
    }
    return new LogStandardScaler(logScale, mean, std, Int32Array.from(active));
  }

  z(v: number, c: number): number {
    return ((this.logScale ? signedLog1p(v) : v) - this.mean[c]) / this.std[c];
  }

  /** Standardized values of the active columns, row-major, as a model's float32 input. */
  transformActive(m: Matrix): Float32Array {
    const { data, rows, cols } = m;
    const a = this.active;
    const out = new Float32Array(rows * a.length);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < a.length; j++) out[r * a.length + j] = this.z(data[r * cols + a[j]], a[j]);
    }
    return out;
  }

  toJSON(): ScalerJSON {
    return {
      kind: 'log-standard-scaler',
      version: 1,
      logScale: this.logScale,
      mean: Array.from(this.mean),
      std: Array.from(this.std),
      active: Array.from(this.active),
    };
  }

  static fromJSON(s: unknown): LogStandardScaler {
    const fail = (msg: string): never => {
      throw new Error(`LogStandardScaler.fromJSON: ${msg}`);
    };
    if (typeof s !== 'object' || s === null) fail('expected an object');
    const o = s as Record<string, unknown>;
    if (o.kind !== 'log-standard-scaler' || o.version !== 1)
      fail(`unknown kind/version ${JSON.stringify(o.kind)}`);
    if (typeof o.logScale !== 'boolean') fail('"logScale" must be a boolean');
    const mean = o.mean as unknown[];
    const std = o.std as unknown[];
    const active = o.active as unknown[];
    if (!Array.isArray(mean) || mean.length === 0) fail('"mean" must be a non-empty array');
    if (!Array.isArray(std) || std.length !== mean.length) fail('"std" must be as long as "mean"');
    if (!Array.isArray(active)) fail('"active" must be an array of column indices');
    mean.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`mean[${i}] must be a finite number`);
    });
    std.forEach((v, i) => {
      if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
        fail(`std[${i}] must be a positive number`);
    });
    active.forEach((v, i) => {
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= mean.length) {
        fail(`active[${i}] = ${JSON.stringify(v)} is not a column index below ${mean.length}`);
      }
      if (i > 0 && (v as number) <= (active[i - 1] as number)) fail('"active" must be strictly ascending');
    });
    return new LogStandardScaler(
      o.logScale as boolean,
      Float64Array.from(mean as number[]),
      Float64Array.from(std as number[]),
      Int32Array.from(active as number[]),
    );
  }
}
